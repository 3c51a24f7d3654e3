// The model shell on a real InfluxDB with a clock and timers in the test's hand: local
// midnight rolls the day over (closing → opening), a late ticket of the closed day moves the
// new day's opening once, and a model rebuilt afterwards agrees. Facts are handed over the way
// the broker does after ingest stored them (the FactSource boundary).
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Fact, WeighingFact } from '../../contracts/facts.ts'
import type { Registry } from '../../contracts/registry.ts'
import { toLine } from '../../influx/lineProtocol.ts'
import { toPoint } from '../../influx/schema/index.ts'
import { createTestDatabase, type TestDatabase } from '../../test/harness/influxdb.ts'
import { testRegistry } from '../../test/fixtures/registry.ts'
import type { FactSource } from '../factSource.ts'
import type { Scheduler } from '../../lib/clock.ts'
import { createModel } from './model.ts'
import type { Change, Model } from './types.ts'

const TZ = 'Asia/Shanghai'
const L = (day: string, hhmm: string): number => Date.parse(`${day}T${hhmm}:00+08:00`)
const log = pino({ level: 'silent' })

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase('model')
})
afterAll(async () => {
  await db?.drop()
})

let n = 0
const ticket = (ts: number, netKg: number, direction: 'in' | 'out' = 'in'): WeighingFact => ({
  kind: 'weighing',
  deviceId: 'wb-1',
  ts,
  recvMs: ts + 60_000,
  siteId: 'ts-1',
  siteType: 'transfer',
  district: '梁溪',
  ticketId: `M-${++n}`,
  direction,
  stream: 'residual',
  grossKg: netKg + 10_000,
  tareKg: 10_000,
  netKg,
  plate: '苏B12345'
})

function harness(registry: Registry, clock: { now: number }) {
  let listener: ((f: readonly Fact[]) => void) | undefined
  const facts: FactSource = {
    async subscribe(l) {
      listener = l
    },
    connected: () => true,
    async close() {
      listener = undefined
    }
  }
  const pending = new Map<number, () => void>()
  let next = 0
  const timers: Scheduler = {
    setTimeout(fn) {
      pending.set(++next, fn)
      return next
    },
    clearTimeout(h) {
      pending.delete(h as number)
    }
  }
  const model = createModel({
    facts,
    influx: db.client,
    registry: { current: () => registry, onChange: () => () => undefined },
    tz: TZ,
    now: () => clock.now,
    log,
    timers
  })
  const changes: Change[] = []
  model.onChange((c) => changes.push(c))
  return {
    model,
    changes,
    /** Store, then hand over, as ingest and the broker do. */
    async commit(...fs: Fact[]) {
      const res = await db.client.write(fs.map((f) => toLine(toPoint(f))).join('\n'))
      expect(res.status).toBe(204)
      listener?.(fs)
    },
    runTimers() {
      const fns = [...pending.values()]
      pending.clear()
      for (const fn of fns) fn()
    }
  }
}

const D = '2025-03-10'
const D1 = '2025-03-11'

describe('the model across local midnight', () => {
  it('rolls over, carries the closing stock, and counts a late ticket on its own day', async () => {
    const { registry } = testRegistry()
    const clock = { now: L(D, '23:58') }
    const seed = harness(registry, clock)
    await seed.commit(
      ticket(L('2025-03-09', '10:00'), 5000),
      ticket(L(D, '09:00'), 8000),
      ticket(L(D, '12:00'), 3000, 'out')
    )

    const h = harness(registry, clock)
    const models: Model[] = [h.model]
    try {
      await h.model.start()
      expect(await h.model.site('ts-1')).toMatchObject({ day: D, openingT: 5, inT: 8, outT: 3, stockT: 10 })
      await h.commit(ticket(L(D, '23:59'), 1000))
      expect(await h.model.site('ts-1')).toMatchObject({ inT: 9, stockT: 11 })

      clock.now = L(D1, '00:00') + 30_000
      h.runTimers()
      expect(h.changes).toContainEqual({ channel: 'day' })
      expect(h.model.today()).toBe(D1)
      expect(await h.model.site('ts-1')).toMatchObject({
        day: D1,
        openingT: 11,
        inT: 0,
        outT: 0,
        stockT: 11,
        ticketsIn: 0
      })

      // 00:01: a ticket weighed at 23:30 yesterday arrives: yesterday's, so today's opening.
      clock.now = L(D1, '00:01')
      const late = ticket(L(D, '23:30'), 2000)
      await h.commit(late, { ...late, recvMs: late.recvMs + 1 })
      await vi.waitFor(async () =>
        expect(await h.model.site('ts-1')).toMatchObject({ openingT: 13, inT: 0, stockT: 13 })
      )
      expect(await h.model.history(D, D1, 'ts-1')).toEqual([
        {
          day: D,
          siteId: 'ts-1',
          inT: 11,
          outT: 3,
          openingT: 5,
          stockT: 13,
          clearancePct: 18.8,
          capacityPct: 2.8,
          cleared: false,
          hasData: true
        },
        {
          day: D1,
          siteId: 'ts-1',
          inT: 0,
          outT: 0,
          openingT: 13,
          stockT: 13,
          clearancePct: 0,
          capacityPct: 0,
          cleared: false,
          hasData: false
        }
      ])
      expect(await h.model.site('ts-1', D)).toMatchObject({
        day: D,
        inT: 11,
        outT: 3,
        stockT: 13,
        lastTicketAt: L(D, '23:59'),
        projection: { status: 'will-not-clear' }
      })
      expect((await h.model.siteHourly('ts-1', D))[23]).toMatchObject({ inT: 3 })

      // Restarted now, from InfluxDB alone: the same day.
      const again = harness(registry, clock)
      models.push(again.model)
      await again.model.start()
      expect(await again.model.sites()).toEqual(await h.model.sites())
      expect(await again.model.city()).toEqual(await h.model.city())
      // Tonnes per hour looks back across midnight: 23:30 and 23:59 tickets, 3 t.
      expect((await again.model.city()).tonnesPerHour).toBe(3)
    } finally {
      for (const m of models) await m.close()
    }
  })
})
