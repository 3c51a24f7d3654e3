// The alert engine against the run's real InfluxDB, writing through the real group-commit
// writer: transitions stored and read back with InfluxQL, and a restart that neither loses nor
// duplicates an alert.
import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Alert } from '../../contracts/ops.ts'
import { rows } from '../../influx/client.ts'
import type { Sink } from '../../store/sink.ts'
import { createWriter, type Writer } from '../../store/influxWriter.ts'
import { createTestDatabase, type TestDatabase } from '../../test/harness/influxdb.ts'
import { AlertEngineError, createAlertEngine, type AlertEngineDeps } from './engine.ts'
import { openAlert } from './lifecycle.ts'
import { alertLine } from '../../influx/schema/alert.ts'
import { at, bin, device, inputs, RULES, site, TZ } from './test/fixtures.ts'
import type { AlertEngine, AlertInputs } from './types.ts'

const log = pino({ level: 'silent' })
// A database per test: an engine owns every alert in its database (it resolves what its
// inputs no longer show), so tests sharing one would resolve each other's alerts.
let t: TestDatabase
let writers: Writer[] = []
beforeEach(async () => {
  t = await createTestDatabase('alerts')
})
afterEach(async () => {
  for (const w of writers) await w.close()
  writers = []
  await t?.drop()
})

function writer(): Writer {
  const w = createWriter({ client: t.client, log })
  writers.push(w)
  return w
}

function engine(clock: { now: number }, sink: Sink = writer()): AlertEngine {
  return createAlertEngine({ influx: t.client, sink, log, tz: TZ, rules: RULES, now: () => clock.now })
}

async function stored(where = ''): Promise<Record<string, unknown>[]> {
  const [r] = await t.client.query(
    `SELECT * FROM "alert" WHERE time >= ${at('2026-06-01T00:00:00')}ms ${where} GROUP BY "type", "severity", "subject_kind", "subject_id"`,
    { epoch: 'ms' }
  )
  return rows(r)
}

describe('alert engine on InfluxDB', () => {
  it('stores open → acknowledged → resolved as one point, read back with InfluxQL', async () => {
    const clock = { now: at('2026-06-15T12:00:00') }
    const e = engine(clock)
    await e.start()
    const offline = device({ deviceId: 'a1-fs-01', offline: true })
    const when = (now: number, devices = [offline]): AlertInputs => inputs({ now, devices })

    const [id, ...rest] = await e.evaluate(when(clock.now))
    expect(rest).toEqual([])
    expect(e.list()).toMatchObject([
      { id, type: 'device-offline', severity: 'warning', state: 'open', subject: { kind: 'device', id: 'a1-fs-01' } }
    ])
    let [row] = await stored(`AND "subject_id" = 'a1-fs-01'`)
    expect(row).toMatchObject({
      id,
      state: 'open',
      type: 'device-offline',
      severity: 'warning',
      subject_kind: 'device',
      opened_at: clock.now
    })
    expect([row!.resolved_at, row!.ack_at, row!.ack_by]).toEqual([undefined, undefined, undefined]) // omitted, never a sentinel

    // Evaluating again with the same condition changes nothing.
    expect(await e.evaluate(when(clock.now + 5_000))).toEqual([])

    const acked = await e.acknowledge(id!, 'op-zhang', clock.now + 6_000)
    expect(acked).toMatchObject({
      id,
      state: 'open',
      acknowledgedAt: clock.now + 6_000,
      acknowledgedBy: 'op-zhang',
      updatedAt: clock.now + 6_000
    })
    expect(await e.acknowledge(id!, 'op-li', clock.now + 9_000)).toEqual(acked) // idempotent
    expect(await e.acknowledge('no-such-alert', 'op-li', clock.now)).toBeUndefined()
    ;[row] = await stored(`AND "subject_id" = 'a1-fs-01'`)
    expect(row).toMatchObject({ state: 'open', ack_at: clock.now + 6_000, ack_by: 'op-zhang' })

    // Condition gone: held open by the hysteresis, then resolved.
    expect(await e.evaluate(when(clock.now + 10_000, []))).toEqual([])
    expect(e.list({ state: 'open' })).toHaveLength(1)
    expect(await e.evaluate(when(clock.now + 70_000, []))).toEqual([id])
    const resolved = e.list({ state: 'resolved' })
    expect(resolved).toMatchObject([
      { id, state: 'resolved', resolvedAt: clock.now + 70_000, acknowledgedBy: 'op-zhang' }
    ])

    const all = await stored(`AND "subject_id" = 'a1-fs-01'`)
    expect(all).toHaveLength(1)
    expect(all[0]).toMatchObject({
      id,
      state: 'resolved',
      opened_at: clock.now,
      updated_at: clock.now + 70_000,
      resolved_at: clock.now + 70_000,
      ack_at: clock.now + 6_000,
      ack_by: 'op-zhang'
    })
    expect(JSON.parse(String(all[0]!.details))).toMatchObject({ ref: 'bin-lx-0001', deviceType: 'fill-sensor' })
    await e.close()
    await expect(e.evaluate(when(clock.now))).rejects.toBeInstanceOf(AlertEngineError)
  })

  it('a second engine on the same database sees the same alerts and does not duplicate them', async () => {
    const clock = { now: at('2026-06-15T21:00:00') }
    const views: AlertInputs = inputs({
      now: clock.now,
      sites: [
        site({
          siteId: 'b2-ts-01',
          stockT: 12,
          projection: { ...site().projection, status: 'will-not-clear', projectedStockT: 12 }
        })
      ],
      bins: [bin({ binId: 'b2-bin-01', fillPct: 86 }), bin({ binId: 'b2-bin-02', fillPct: 120, status: 'overflow' })],
      devices: [device({ deviceId: 'b2-fs-01', batteryPct: 5 })]
    })
    const a = engine(clock)
    await a.start()
    const opened = await a.evaluate(views)
    expect(opened).toHaveLength(5) // will-not-clear, stock-after-cutoff, near-full, overflow, low battery
    // One resolved today, one acknowledged: both must survive the restart as they are.
    const lowBattery = a.list({ type: 'device-low-battery' })[0]!
    await a.acknowledge(a.list({ type: 'bin-overflow' })[0]!.id, 'op-wang', clock.now + 1_000)
    const withoutBattery = { ...views, devices: [] }
    await a.evaluate({ ...withoutBattery, now: clock.now + 10_000 })
    expect(await a.evaluate({ ...withoutBattery, now: clock.now + 80_000 })).toEqual([lowBattery.id])
    const before = a.list().filter((x) => x.id !== undefined && [...opened].includes(x.id))
    expect(before).toHaveLength(5)
    await a.close()

    clock.now += 120_000
    const b = engine(clock)
    await b.start()
    const after = b.list().filter((x) => opened.includes(x.id))
    expect(after).toEqual(before)
    expect(await b.evaluate({ ...withoutBattery, now: clock.now })).toEqual([])
    expect(b.list({ state: 'open' }).filter((x) => opened.includes(x.id))).toHaveLength(4)
    expect((await stored(`AND "subject_id" =~ /^b2-/`)).length).toBe(5)
    // The condition coming back after the restart is a new episode.
    const [again] = await b.evaluate({ ...views, now: clock.now + 1_000 })
    expect(b.get(again!)).toMatchObject({ type: 'device-low-battery', state: 'open', openedAt: clock.now + 1_000 })
    expect((await stored(`AND "subject_id" =~ /^b2-/`)).length).toBe(6)
    await b.close()
  })

  it('shows a transition only once it is stored', async () => {
    const clock = { now: at('2026-06-15T13:00:00') }
    const real = writer()
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const held: Sink = {
      write: async (lines) => {
        await gate
        return real.write(lines)
      },
      close: () => real.close()
    }
    const e = engine(clock, held)
    await e.start()
    const evaluating = e.evaluate(
      inputs({ now: clock.now, devices: [device({ deviceId: 'c3-fs-01', offline: true })] })
    )
    await new Promise((resolve) => setImmediate(resolve))
    expect(e.list()).toEqual([])
    release()
    const [id] = await evaluating
    expect(e.list().map((x) => x.id)).toEqual([id])
    expect(await stored(`AND "subject_id" = 'c3-fs-01'`)).toHaveLength(1)
    await e.close()
  })

  it('leaves a transition InfluxDB refuses invisible, and tries it again', async () => {
    const clock = { now: at('2026-06-15T14:00:00') }
    // A point in the way: same shard, `message` as an integer (a field type conflict).
    const res = await t.client.write(
      `alert,severity=warning,subject_id=d4-other,subject_kind=device,type=device-offline message=1i ${BigInt(clock.now) * 1_000_000n}`
    )
    expect(res.status).toBe(204)
    const errors: string[] = []
    const spy = {
      debug() {},
      info() {},
      warn() {},
      error: (_: unknown, msg: string) => {
        errors.push(msg)
      }
    }
    const e = createAlertEngine({
      influx: t.client,
      sink: writer(),
      log: spy as unknown as AlertEngineDeps['log'],
      tz: TZ,
      rules: RULES,
      now: () => clock.now
    })
    await e.start()
    const views = inputs({ now: clock.now, devices: [device({ deviceId: 'd4-fs-01', offline: true })] })
    expect(await e.evaluate(views)).toEqual([])
    expect(e.list()).toEqual([])
    expect(await e.evaluate({ ...views, now: clock.now + 1_000 })).toEqual([])
    expect(errors).toEqual(['InfluxDB refused an alert point', 'InfluxDB refused an alert point'])
    await e.close()
  })

  it('at start, keeps the newest of two open episodes of one subject and resolves the other', async () => {
    const clock = { now: at('2026-06-15T15:00:00') }
    const d = {
      type: 'device-offline' as const,
      severity: 'warning' as const,
      subject: { kind: 'device' as const, id: 'e5-fs-01' },
      message: 'offline',
      details: {}
    }
    const older: Alert = openAlert(d, clock.now - 600_000)
    const newer: Alert = openAlert(d, clock.now - 300_000)
    expect((await writer().write([alertLine(older), alertLine(newer)])).rejected).toEqual([])
    const e = engine(clock)
    await e.start()
    expect(
      e
        .list({ state: 'open' })
        .filter((x) => x.subject.id === 'e5-fs-01')
        .map((x) => x.id)
    ).toEqual([newer.id])
    expect(e.get(older.id)).toMatchObject({ state: 'resolved', resolvedAt: clock.now })
    const states = (await stored(`AND "subject_id" = 'e5-fs-01'`)).map((r) => [r.id, r.state])
    expect(states).toEqual([
      [older.id, 'resolved'],
      [newer.id, 'open']
    ])
    expect(
      await e.evaluate(inputs({ now: clock.now, devices: [device({ deviceId: 'e5-fs-01', offline: true })] }))
    ).toEqual([])
    await e.close()
  })

  it('lists by state, severity, type and day, newest first', async () => {
    const clock = { now: at('2026-06-20T09:00:00') }
    const e = engine(clock)
    await e.start()
    const f1 = device({ deviceId: 'f6-fs-01', offline: true, batteryPct: 3 })
    const f2 = device({ deviceId: 'f6-fs-02', offline: true })
    await e.evaluate(inputs({ now: clock.now - 86_400_000, devices: [f1] })) // yesterday, still open
    await e.evaluate(inputs({ now: clock.now, devices: [f1, f2] }))
    const mine = (xs: Alert[]): string[] =>
      xs.filter((x) => x.subject.id.startsWith('f6-')).map((x) => `${x.type}/${x.subject.id}`)
    const all = mine(e.list())
    expect(all[0]).toBe('device-offline/f6-fs-02')
    expect(all.slice(1).sort()).toEqual(['device-low-battery/f6-fs-01', 'device-offline/f6-fs-01']) // same openedAt
    expect(mine(e.list({ severity: 'info' }))).toEqual(['device-low-battery/f6-fs-01'])
    expect(mine(e.list({ type: 'device-offline', state: 'open' }))).toEqual([
      'device-offline/f6-fs-02',
      'device-offline/f6-fs-01'
    ])
    expect(mine(e.list({ state: 'resolved' }))).toEqual([])
    expect(mine(e.list({ day: '2026-06-19' })).sort()).toEqual([
      'device-low-battery/f6-fs-01',
      'device-offline/f6-fs-01'
    ])
    expect(mine(e.list({ day: '2026-06-18' }))).toEqual([])
    // The same days from InfluxDB.
    expect(await e.history({ day: '2026-06-19' })).toEqual(e.list({ day: '2026-06-19' }))
    expect(await e.history({ day: '2026-06-20', type: 'device-offline' })).toEqual(e.list({ type: 'device-offline' }))
    expect(await e.history({ day: '2026-06-18' })).toEqual([])
    await e.close()
  })
})
