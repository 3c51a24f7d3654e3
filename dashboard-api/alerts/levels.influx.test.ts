// Bin fill as one alert per bin, stored in the real InfluxDB: a raised level rewrites the same
// point, and an engine started later reads back one alert at its current level with its history.
import pino from 'pino'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { rows } from '../../influx/client.ts'
import { createWriter, type Writer } from '../../store/influxWriter.ts'
import { createTestDatabase, type TestDatabase } from '../../test/harness/influxdb.ts'
import { createAlertEngine } from './engine.ts'
import { at, bin, inputs, RULES, TZ } from './test/fixtures.ts'

const log = pino({ level: 'silent' })
let t: TestDatabase
let w: Writer
beforeEach(async () => {
  t = await createTestDatabase('alertlevels')
  w = createWriter({ client: t.client, log })
})
afterEach(async () => {
  await w.close()
  await t?.drop()
})

it('near-full escalates to overflow on one stored alert; a restart reads it back at its level', async () => {
  const clock = { now: at('2026-06-15T12:00:00') }
  const events: string[] = []
  const engine = () =>
    createAlertEngine({
      influx: t.client,
      sink: w,
      log,
      tz: TZ,
      rules: RULES,
      now: () => clock.now,
      onTransitions: (ts) => events.push(...ts.map((x) => `${x.event} ${x.alert.type}`))
    })
  const e = engine()
  await e.start()
  const fill = (now: number, fillPct: number) => inputs({ now, bins: [bin({ fillPct })] })
  const [id] = await e.evaluate(fill(clock.now, 85))
  expect(await e.evaluate(fill(clock.now + 10_000, 104))).toEqual([id])
  expect(await e.evaluate(fill(clock.now + 20_000, 90))).toEqual([]) // held at overflow by the hysteresis
  expect(e.list({ state: 'open' })).toMatchObject([{ id, type: 'bin-overflow', severity: 'critical' }])
  expect(events).toEqual(['opened bin-near-full', 'escalated bin-overflow'])
  await e.close()

  const [r] = await t.client.query(`SELECT * FROM "alert" GROUP BY *`, { epoch: 'ms' })
  expect(rows(r)).toHaveLength(1)
  const again = engine()
  await again.start()
  const list = again.list()
  expect(list).toHaveLength(1)
  expect(list[0]).toMatchObject({ id, type: 'bin-overflow', severity: 'critical', state: 'open' })
  expect(list[0]!.history?.map((h) => h.type)).toEqual(['bin-near-full', 'bin-overflow'])
  await again.close()
})

it('tells onTransitions what each stored transition was: opened, escalated, deescalated, resolved', async () => {
  const clock = { now: at('2026-06-15T12:00:00') }
  const events: string[] = []
  const e = createAlertEngine({
    influx: t.client,
    sink: w,
    log,
    tz: TZ,
    rules: RULES,
    now: () => clock.now,
    onTransitions: (ts) => events.push(...ts.map((x) => x.event))
  })
  await e.start()
  const fill = (s: number, fillPct: number) =>
    e.evaluate(inputs({ now: clock.now + s * 1000, bins: [bin({ fillPct })] }))
  await fill(0, 85)
  await fill(10, 104)
  await fill(20, 90)
  await fill(90, 90)
  await fill(100, 10)
  await fill(170, 10)
  expect(events).toEqual(['opened', 'escalated', 'deescalated', 'resolved'])
  await e.close()
})
