// The operations centre's endpoints on real parts: real weighbridge and tracker messages over
// mqtt.js into the node, then REST: the ranked exceptions, the city's counts and pace, a site's
// stock through the day, and a truck's day replayed from InfluxDB.
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import WebSocket from 'ws'
import type { CitySummary } from '../../contracts/ops.ts'
import type { Exceptions, SiteStock, VehicleTrack } from '../../contracts/opsCentre.ts'
import type { Registry, Zone } from '../../contracts/registry.ts'
import { addDays, localDate, startOfLocalDay } from '../../lib/time.ts'
import { saveRegistry } from '../../registry/load.ts'
import { withSystem } from '../harness/system.ts'

const TZ = 'Asia/Shanghai'

const ticket = (id: string, ts: number, extra: Record<string, unknown> = {}) => ({
  ts,
  ticketId: id,
  direction: 'in',
  stream: 'residual',
  grossKg: 200_000,
  tareKg: 10_000,
  netKg: 190_000,
  plate: '苏B99999',
  ...extra
})

describe('operations centre: exceptions, city counts, site stock', () => {
  it('ranks a site that cannot clear, with trips at its outbound load and a reason; counts sites with no ticket apart', async () => {
    const t = await withSystem()
    const viewer = await t.token('viewer')
    const t0 = Date.now()
    const start = startOfLocalDay(localDate(t0, TZ), TZ)
    // Event times inside today even just after midnight.
    const at = (minutesAgo: number): number => Math.max(start + 1000 + minutesAgo, t0 - minutesAgo * 60_000)
    // 950 t in at a 400 t/day station: more than it can ship by 20:00 at any time of day
    // (40 t/h feasible), and over capacity. One 20 t outbound trip sets its typical load.
    const wb = await t.device('wb-1')
    await wb.publishAsync(
      'v1/devices/wb-1/weighing',
      JSON.stringify([
        ...[1, 2, 3, 4, 5].map((i) => ticket(`IN-${i}`, at(10 - i))),
        ticket('OUT-1', at(1), { direction: 'out', grossKg: 36_000, tareKg: 16_000, netKg: 20_000 })
      ]),
      { qos: 1 }
    )
    await t.forwarded()

    const ex = await t.api<Exceptions>('/api/v1/exceptions', viewer)
    expect(ex.status).toBe(200)
    expect(ex.body.items).toHaveLength(1)
    const it0 = ex.body.items[0]!
    expect(it0).toMatchObject({
      rank: 1,
      kind: 'will-not-clear',
      siteId: 'ts-1',
      type: 'transfer',
      status: 'will-not-clear',
      overCapacity: true,
      stockT: 930,
      toleranceT: 1,
      cutoff: '20:00',
      cutoffAt: start + 20 * 3_600_000,
      typicalLoadT: 20,
      typicalLoadFrom: 'site-today'
    })
    // Still to ship: the stock now, plus inbound still expected by the cut-off, less the tolerance.
    expect(it0.outboundNeededT).toBeGreaterThanOrEqual(929)
    expect(it0.tripsNeeded).toBe(Math.ceil(it0.outboundNeededT / 20))
    expect(it0.minutesToCutoff).toBe(Math.max(0, Math.ceil((it0.cutoffAt - ex.body.at) / 60_000)))
    expect(it0.reason.zh).toContain(`约 ${it0.tripsNeeded} 车`)
    expect(it0.reason.en).toContain(`about ${it0.tripsNeeded} trips`)
    expect(it0.reason.en).toContain('above the design capacity of 400 t/day')
    // The chips' filters.
    expect((await t.api<Exceptions>('/api/v1/exceptions?kind=at-risk', viewer)).body.items).toEqual([])
    expect((await t.api<Exceptions>('/api/v1/exceptions?type=sorting', viewer)).body.items).toEqual([])
    expect((await t.api<Exceptions>('/api/v1/exceptions?district=梁溪', viewer)).body.items).toHaveLength(1)

    // The city: the sorting centre has no ticket yet — "no data", not on track; types apart.
    const city = (await t.api<CitySummary>('/api/v1/city', viewer)).body
    expect(city.simulated).toBe(false)
    expect(city.sites).toMatchObject({ total: 2, willNotClear: 1, onTrack: 0, cleared: 0, noData: 1, overCapacity: 1 })
    expect(city.sitesByType.transfer).toMatchObject({ total: 1, willNotClear: 1, noData: 0 })
    expect(city.sitesByType.sorting).toMatchObject({ total: 1, onTrack: 0, cleared: 0, noData: 1 })
    expect(city.paceT).toBeGreaterThan(0)
    expect(city.paceT).toBeLessThanOrEqual(city.targetT)
    // Hours not reached yet are null, not 0; this hour and the ones before are numbers.
    const now = Date.now()
    for (const h of city.hourly) {
      if (h.start > now) expect([h.inT, h.outT]).toEqual([null, null])
      else expect(typeof h.inT).toBe('number')
    }
    const hourly = (await t.api<{ start: number; inT: number | null }[]>('/api/v1/sites/ts-1/hourly', viewer)).body
    expect(hourly.filter((h) => h.start > now).every((h) => h.inT === null)).toBe(true)

    // The stock chart: opening 0, 950 in, 20 out; the projection ends at the cut-off on the
    // exceptions' number, with the same reason.
    const st = await t.api<SiteStock>('/api/v1/sites/ts-1/stock?step=5', viewer)
    expect(st.status).toBe(200)
    expect(st.body).toMatchObject({ siteId: 'ts-1', stepMinutes: 5, openingT: 0, toleranceT: 1, cutoff: '20:00' })
    expect(st.body.actual[0]!.t).toBe(start)
    expect(st.body.actual.at(-1)!.stockT).toBe(930)
    expect(st.body.actual.every((p, i, a) => i === 0 || p.t - a[i - 1]!.t <= 5 * 60_000)).toBe(true)
    if (Date.now() < it0.cutoffAt) {
      // (a moment later than the exceptions: within a tonne)
      expect(st.body.projected.at(-1)!.t).toBe(it0.cutoffAt)
      expect(st.body.projected.at(-1)!.stockT).toBeCloseTo(it0.projectedStockAtCutoffT, 0)
    } else expect(st.body.projected).toEqual([])
    // The same reason in words; its projected figures are those of a moment later (above).
    const words = (r: Record<string, string> | null | undefined) =>
      r && Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.replace(/\d+(\.\d+)?/g, '#')]))
    expect(words(st.body.reason)).toEqual(words(it0.reason))
    expect((await t.api('/api/v1/sites/no-such/stock', viewer)).status).toBe(404)

    // The same list pushed on the websocket: a snapshot, then a delta when the site moves.
    const ws = new WebSocket(`${t.httpUrl.replace('http', 'ws')}/api/v1/ws`, {
      headers: { authorization: `Bearer ${viewer}` }
    })
    onTestFinished(() => ws.terminate())
    const got: { type: string; data?: Exceptions }[] = []
    ws.on('message', (b: Buffer) => got.push(JSON.parse(b.toString()) as { type: string; data?: Exceptions }))
    await vi.waitFor(() => expect(got.some((m) => m.type === 'welcome')).toBe(true))
    ws.send(JSON.stringify({ type: 'subscribe', id: 'x', channel: 'exceptions' }))
    await vi.waitFor(() => expect(got.find((m) => m.type === 'snapshot')?.data?.items[0]?.stockT).toBe(930))
    await wb.publishAsync(
      'v1/devices/wb-1/weighing',
      JSON.stringify(ticket('OUT-2', at(0), { direction: 'out', grossKg: 36_000, tareKg: 16_000, netKg: 20_000 })),
      { qos: 1 }
    )
    await vi.waitFor(() => expect(got.find((m) => m.type === 'delta')?.data?.items[0]?.stockT).toBe(910))
    expect((await t.api('/api/v1/sites/ts-1/stock?step=1', viewer)).status).toBe(400)
    expect((await t.api('/api/v1/exceptions?date=2026-02-30', viewer)).status).toBe(400)
  })
})

// Around ts-1 (31.57, 120.30); compactors are never allowed in, and the limit is 30 km/h.
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

describe('track replay', () => {
  it("replays yesterday's fixes: downsampled with the corner kept, the stop at the station, violations, tipping", async () => {
    const t = await withSystem()
    const viewer = await t.token('viewer')
    await saveRegistry(t.registryPath, { ...t.registry, zones: [ZONE] } satisfies Registry)
    await vi.waitFor(async () => expect((await t.api<Zone[]>('/api/v1/zones', viewer)).body).toHaveLength(1), {
      timeout: 10_000
    })
    const day = addDays(localDate(Date.now(), TZ), -1)
    const base = startOfLocalDay(day, TZ) + 8 * 3_600_000
    const fix = (i: number, lat: number, lon: number, speedKmh: number, headingDeg?: number) => ({
      ts: base + i * 15_000,
      seq: i,
      lat,
      lon,
      speedKmh,
      ...(headingDeg === undefined ? {} : { headingDeg })
    })
    const fixes = [
      // 5 min east outside the zone at 50 km/h (under the 60 km/h city limit).
      ...Array.from({ length: 20 }, (_, i) => fix(i, 31.57, 120.25 + i * 0.001, 50, 90)),
      // 5 min inside it at 40 km/h: barred and over its 30 km/h limit.
      ...Array.from({ length: 20 }, (_, i) => fix(20 + i, 31.57, 120.291 + i * 0.0004, 40, 90)),
      // 6.75 min standing at the station.
      ...Array.from({ length: 28 }, (_, i) => fix(40 + i, 31.57, 120.3, 0)),
      // Then north, out of the zone at 25 km/h.
      ...Array.from({ length: 20 }, (_, i) => fix(68 + i, 31.571 + i * 0.001, 120.3, 25, 0))
    ]
    const gps = await t.device('gps-1')
    await gps.publishAsync('v1/devices/gps-1/position', JSON.stringify(fixes), { qos: 1 })
    const wb = await t.device('wb-1')
    await wb.publishAsync(
      'v1/devices/wb-1/weighing',
      JSON.stringify([
        ticket('T-1', base + 45 * 15_000, { plate: '苏B12345', grossKg: 16_000, tareKg: 10_000, netKg: 6_000 }),
        ticket('T-2', base + 46 * 15_000, { plate: '苏B54321', grossKg: 16_000, tareKg: 10_000, netKg: 6_000 })
      ]),
      { qos: 1 }
    )
    await t.forwarded()

    const r = await t.api<VehicleTrack>(`/api/v1/vehicles/veh-1/track?date=${day}`, viewer)
    expect(r.status).toBe(200)
    const tr = r.body
    expect(tr).toMatchObject({
      vehicleId: 'veh-1',
      plate: '苏B12345',
      type: 'compactor',
      day,
      fixes: 88,
      truncated: false
    })
    expect(tr.points.length).toBeLessThan(60)
    expect(tr.points[0]!.t).toBe(base)
    expect(tr.points.at(-1)!.t).toBe(base + 87 * 15_000)
    // The corner (east → north), the arrival and the departure are kept.
    const kept = new Set(tr.points.map((p) => p.t))
    for (const i of [39, 40, 67, 68]) expect(kept.has(base + i * 15_000)).toBe(true)
    // At least one point a minute.
    expect(tr.points.every((p, i, a) => i === 0 || p.t - a[i - 1]!.t <= 60_000)).toBe(true)
    expect(tr.stops).toEqual([
      {
        from: base + 40 * 15_000,
        to: base + 67 * 15_000,
        minutes: 6.8,
        lat: 31.57,
        lon: 120.3,
        place: { kind: 'site', id: 'ts-1', name: '梁溪区测试转运站' }
      }
    ])
    expect(tr.violations).toEqual([
      {
        type: 'zone-window',
        from: base + 20 * 15_000,
        to: base + 76 * 15_000, // 31.579° N, the last fix south of the zone's edge
        zoneId: 'z-test',
        maxSpeedKmh: 40,
        limitKmh: null
      },
      {
        type: 'speeding',
        from: base + 20 * 15_000,
        to: base + 39 * 15_000,
        zoneId: 'z-test',
        maxSpeedKmh: 40,
        limitKmh: 30
      }
    ])
    expect(tr.tipping).toEqual([
      {
        t: base + 45 * 15_000,
        siteId: 'ts-1',
        siteName: '梁溪区测试转运站',
        ticketId: 'T-1',
        direction: 'in',
        netKg: 6000
      }
    ])
    expect(tr.distanceKm).toBeGreaterThan(3)

    const unknown = await t.api<{ error: { code: string; message: string } }>('/api/v1/vehicles/veh-404/track', viewer)
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.message).toContain('veh-404')
    expect((await t.api('/api/v1/vehicles/veh-1/track?date=yesterday', viewer)).status).toBe(400)
  })
})
