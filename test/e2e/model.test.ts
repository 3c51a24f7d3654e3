// The operations model on real parts: mqtt.js → Aedes → ingest → a real
// InfluxDB, committed facts folded by the model; its numbers checked against (a) an
// independent recomputation in InfluxQL and (b) a second model rebuilt from InfluxDB alone.
import { pino } from 'pino'
import { describe, expect, it, vi } from 'vitest'
import type { Registry, Zone } from '../../contracts/registry.ts'
import { rows } from '../../influx/client.ts'
import { addDays, localDate, startOfLocalDay } from '../../lib/time.ts'
import { saveRegistry } from '../../registry/load.ts'
import { createRegistryStore } from '../../registry/store.ts'
import { inProcessFacts } from '../../dashboard-api/factSource.ts'
import { createModel } from '../../dashboard-api/model/model.ts'
import type { Model } from '../../dashboard-api/model/types.ts'
import { withSystem, type TestSystem } from '../harness/system.ts'

const TZ = 'Asia/Shanghai'
const log = pino({ level: process.env.QINGYUN_TEST_LOG_LEVEL ?? 'silent' })

// Around the test registry's veh-1 route; compactors are not listed, so never allowed.
const ZONE: Zone = {
  id: 'z-test',
  name: '测试居住区',
  speedLimitKmh: 30,
  polygon: [
    [120.29, 31.56],
    [120.31, 31.56],
    [120.31, 31.58],
    [120.29, 31.58]
  ],
  windows: [{ vehicleTypes: ['recyclable'], from: '08:00', to: '18:00' }]
}

async function select(t: TestSystem, q: string): Promise<Record<string, unknown>[]> {
  await t.forwarded() // acknowledged means durable in the spool; InfluxDB follows
  const [r] = await t.db.client.query(q, { epoch: 'ms' })
  return rows(r)
}

interface Clock {
  now: number
}

async function model(t: TestSystem, clock: Clock): Promise<Model> {
  const registry = await createRegistryStore({ path: t.registryPath, log, watch: false })
  const m = createModel({
    facts: inProcessFacts(t.system.broker),
    stored: () => t.forwarded(),
    influx: t.system.influx,
    registry,
    tz: TZ,
    now: () => clock.now,
    log
  })
  await m.start()
  const close = m.close.bind(m)
  m.close = async () => {
    await close()
    await registry.close()
  }
  return m
}

async function snapshot(m: Model) {
  const day = m.today()
  return {
    sites: await m.sites(),
    city: await m.city(),
    hourly: await m.siteHourly('ts-1'),
    recyclables: await m.recyclables(),
    bins: m.bins(),
    vehicles: m.vehicles(),
    devices: m.devices(),
    byDevice: await m.completeness('device'),
    bySite: await m.completeness('site'),
    history: await m.history(addDays(day, -1), day)
  }
}

describe('the operations model on real MQTT and InfluxDB', () => {
  it('equals an independent InfluxQL recomputation, and a restart mid-day changes no number', async () => {
    const t = await withSystem()
    const registry: Registry = { ...t.registry, zones: [ZONE] }
    await saveRegistry(t.registryPath, registry)
    const clock: Clock = { now: Date.now() }
    const a = await model(t, clock)
    const models: Model[] = [a]
    try {
      const today = localDate(clock.now, TZ)
      const start = startOfLocalDay(today, TZ)
      const end = startOfLocalDay(addDays(today, 1), TZ)
      // Event times inside today even when the test runs just after midnight.
      const t0 = Date.now()
      const at = (minutesAgo: number): number => Math.max(start + 1000 - minutesAgo, t0 - minutesAgo * 60_000)
      const ticket = (id: string, ts: number, extra: Record<string, unknown> = {}) => ({
        ts,
        ticketId: id,
        direction: 'in',
        stream: 'residual',
        grossKg: 18_240,
        tareKg: 10_120,
        netKg: 8120,
        plate: '苏B12345',
        ...extra
      })

      const wb = await t.device('wb-1')
      const send = (d: typeof wb, topic: string, body: unknown) =>
        d.publishAsync(topic, JSON.stringify(body), { qos: 1 })
      await send(wb, 'v1/devices/wb-1/weighing', [
        ticket('Y-1', start - 2 * 3_600_000, { seq: 1 }), // yesterday: the opening stock
        ticket('A-1', at(50), { seq: 2 }),
        ticket('A-2', at(40), { seq: 3, grossKg: 20_000, tareKg: 11_000, netKg: 9000 }),
        ticket('A-3', at(30), { seq: 6, direction: 'out', grossKg: 25_000, tareKg: 15_000, netKg: 10_000 })
      ])
      // A retransmission (counts once, recorded as a duplicate), and a bad ticket.
      await send(wb, 'v1/devices/wb-1/weighing', ticket('A-1', at(50), { seq: 2 }))
      await send(wb, 'v1/devices/wb-1/weighing', ticket('BAD', at(20), { seq: 7, netKg: 1 }))
      await send(wb, 'v1/devices/wb-1/status', { ts: at(10), seq: 8, batteryPct: 88, rssiDbm: -71, firmware: 'wb-2.1' })

      const sc = await t.device('wb-2')
      await send(sc, 'v1/devices/wb-2/weighing', [
        ticket('R-1', at(45), { stream: 'recyclable', material: 'paper', grossKg: 14_000, tareKg: 9000, netKg: 5000 }),
        ticket('R-2', at(35), {
          stream: 'recyclable',
          material: 'paper',
          direction: 'out',
          grossKg: 13_000,
          tareKg: 9000,
          netKg: 4000
        }),
        ticket('R-3', at(25), { stream: 'recyclable', material: 'glass', grossKg: 11_000, tareKg: 9000, netKg: 2000 })
      ])

      const fill = await t.device('fill-1')
      // seq 3 never arrives; out of order; an emptying (85 → 15).
      await send(fill, 'v1/devices/fill-1/fill', [
        { ts: at(40), seq: 1, fillPct: 60, batteryPct: 64 },
        { ts: at(20), seq: 4, fillPct: 85 },
        { ts: at(30), seq: 2, fillPct: 72 },
        { ts: at(10), seq: 5, fillPct: 15 }
      ])
      await send(fill, 'v1/devices/fill-1/fill', { ts: at(10), seq: 5, fillPct: 15 })

      const gps = await t.device('gps-1')
      await send(gps, 'v1/devices/gps-1/position', [
        { ts: at(6), seq: 1, lat: 31.55, lon: 120.28, speedKmh: 40 },
        { ts: at(5), seq: 2, lat: 31.57, lon: 120.3, speedKmh: 20 }, // into the zone: a window violation
        { ts: at(4), seq: 3, lat: 31.571, lon: 120.3, speedKmh: 36 } // over the zone's 30 km/h
      ])

      await vi.waitFor(
        async () => {
          const c = await a.completeness('device')
          expect(c.find((r) => r.key === 'gps-1')?.accepted).toBe(3)
          expect(c.find((r) => r.key === 'fill-1')).toMatchObject({ accepted: 4, duplicates: 1 })
          expect(c.find((r) => r.key === 'wb-1')).toMatchObject({ accepted: 4, duplicates: 1, rejectedTotal: 1 })
          expect(c.find((r) => r.key === 'wb-2')?.accepted).toBe(3)
        },
        { timeout: 15_000, interval: 100 }
      )
      await vi.waitFor(async () => expect((await a.site('ts-1'))?.openingT).toBe(8.12), {
        timeout: 15_000,
        interval: 100
      })
      clock.now = Math.max(Date.now(), at(0))

      // (a) Independent recomputation in InfluxQL.
      const day = `time >= ${start}ms AND time < ${end}ms`
      const sums = await select(
        t,
        `SELECT sum(net_kg), count(net_kg) FROM weighing WHERE ${day} GROUP BY site, direction`
      )
      const before = await select(
        t,
        `SELECT sum(net_kg) FROM weighing WHERE time < ${start}ms GROUP BY site, direction`
      )
      const kg = (rs: Record<string, unknown>[], site: string, dir: string, col = 'sum'): number =>
        Number(rs.find((r) => r.site === site && r.direction === dir)?.[col] ?? 0)
      for (const s of await a.sites()) {
        const inKg = kg(sums, s.siteId, 'in')
        const outKg = kg(sums, s.siteId, 'out')
        const openingKg = kg(before, s.siteId, 'in') - kg(before, s.siteId, 'out')
        expect(s).toMatchObject({
          inT: inKg / 1000,
          outT: outKg / 1000,
          openingT: openingKg / 1000,
          stockT: (openingKg + inKg - outKg) / 1000,
          ticketsIn: kg(sums, s.siteId, 'in', 'count'),
          ticketsOut: kg(sums, s.siteId, 'out', 'count')
        })
      }
      expect(await a.site('ts-1')).toMatchObject({
        inT: 17.12,
        outT: 10,
        openingT: 8.12,
        stockT: 15.24,
        clearancePct: 39.6,
        ticketsIn: 2
      })
      const city = await a.city()
      expect(city.inT).toBe(sums.filter((r) => r.direction === 'in').reduce((x, r) => x + Number(r.sum), 0) / 1000)
      const hourly = await select(
        t,
        `SELECT sum(net_kg) FROM weighing WHERE ${day} AND site = 'ts-1' GROUP BY time(1h), direction fill(0) tz('${TZ}')`
      )
      const modelHourly = await a.siteHourly('ts-1')
      for (const r of hourly) {
        const h = modelHourly.find((p) => p.start === Number(r.time))!
        // fill(0) also fills the hours not reached yet; the model says null for those.
        if (h.start > clock.now) expect(r.direction === 'out' ? h.outT : h.inT).toBeNull()
        else expect(r.direction === 'out' ? h.outT : h.inT).toBe(Number(r.sum) / 1000)
      }
      const materials = await select(
        t,
        `SELECT sum(net_kg) FROM weighing WHERE ${day} AND stream = 'recyclable' GROUP BY material, direction`
      )
      for (const m of (await a.recyclables()).byMaterial) {
        expect([m.inT, m.outT]).toEqual([
          Number(materials.find((r) => r.material === m.material && r.direction === 'in')?.sum ?? 0) / 1000,
          Number(materials.find((r) => r.material === m.material && r.direction === 'out')?.sum ?? 0) / 1000
        ])
      }
      const [lastFill] = await select(t, `SELECT last(fill_pct) FROM fill GROUP BY bin`)
      expect(a.bins()).toMatchObject([
        {
          binId: 'bin-1',
          fillPct: lastFill!.last,
          lastReadingAt: lastFill!.time,
          emptiedToday: 1,
          collectedToday: true,
          batteryPct: 64
        }
      ])
      const [lastFix] = await select(t, `SELECT last(lat), lon FROM position WHERE vehicle = 'veh-1'`)
      expect(a.vehicles().find((v) => v.vehicleId === 'veh-1')).toMatchObject({
        lat: lastFix!.last,
        lon: lastFix!.lon,
        zoneId: 'z-test',
        zoneWindowViolation: true,
        speeding: true,
        zoneViolationsToday: 1,
        speedViolationsToday: 1
      })
      // Completeness: points, duplicate and rejection records, seq gaps — straight from InfluxDB.
      const counts = await select(
        t,
        `SELECT count(recv_ms) FROM weighing, fill, position, device_status WHERE ${day} GROUP BY device`
      )
      const dups = await select(
        t,
        `SELECT count(identity) FROM duplicate WHERE event_ms >= ${start} AND event_ms < ${end} GROUP BY device`
      )
      const rejected = await select(t, `SELECT count(error) FROM rejection WHERE ${day} GROUP BY device, code`)
      const seqs = await select(
        t,
        `SELECT seq FROM weighing, fill, position, device_status, rejection WHERE ${day} GROUP BY device`
      )
      for (const r of await a.completeness('device')) {
        const mine = seqs.filter((s) => s.device === r.key && s.seq !== null).map((s) => Number(s.seq))
        const distinct = new Set(mine)
        const missing = distinct.size === 0 ? 0 : Math.max(...distinct) - Math.min(...distinct) + 1 - distinct.size
        expect(r, r.key).toMatchObject({
          accepted: counts.filter((c) => c.device === r.key).reduce((x, c) => x + Number(c.count), 0),
          duplicates: Number(dups.find((d) => d.device === r.key)?.count ?? 0),
          rejectedTotal: rejected.filter((d) => d.device === r.key).reduce((x, c) => x + Number(c.count), 0),
          missing
        })
      }
      expect((await a.completeness('device')).find((r) => r.key === 'wb-1')).toMatchObject({
        missing: 2,
        rejected: { INGEST_E_SCHEMA: 1 }
      })
      expect((await a.completeness('device')).find((r) => r.key === 'fill-1')).toMatchObject({ missing: 1 })

      // (b) A restart: a second model from InfluxDB alone, while more tickets arrive.
      const before1 = await snapshot(a)
      const b = await model(t, clock)
      models.push(b)
      expect(await snapshot(b)).toEqual(before1)
      const more = [
        ticket('M-1', at(5), { seq: 9 }),
        ticket('M-2', at(4), { seq: 10, direction: 'out', grossKg: 15_000, tareKg: 10_000, netKg: 5000 })
      ]
      const c = model(t, clock) // rebuilding while M-1 and M-2 commit: the overlap counts once
      await send(wb, 'v1/devices/wb-1/weighing', more)
      models.push(await c)
      await send(wb, 'v1/devices/wb-1/weighing', more[0]) // and a retransmission after
      clock.now = Math.max(Date.now(), at(0))
      await vi.waitFor(
        async () => {
          for (const m of models)
            expect((await m.completeness('device')).find((r) => r.key === 'wb-1')).toMatchObject({
              accepted: 6,
              duplicates: 2
            })
        },
        { timeout: 15_000, interval: 100 }
      )
      const live = await snapshot(a)
      expect(live.sites.find((s) => s.siteId === 'ts-1')).toMatchObject({ inT: 25.24, outT: 15 })
      expect(await snapshot(b)).toEqual(live)
      expect(await snapshot(models[2]!)).toEqual(live)
      const fresh = await model(t, clock)
      models.push(fresh)
      expect(await snapshot(fresh)).toEqual(live)
    } finally {
      for (const m of models) await m.close()
    }
  })
})
