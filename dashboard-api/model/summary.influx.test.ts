// Day summaries on a real InfluxDB (docs/history.md): a closed day's completeness comes from its
// stored summary, equals the full fold of the day's points, and is rewritten when a late fact
// for that day arrives — in this process and, through the stored mark, for a process that reads
// it afterwards. Facts are stored and handed over the way ingest and the broker do.
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Fact, RejectionFact, WeighingFact } from '../../contracts/facts.ts'
import { createInfluxClient, rows } from '../../influx/client.ts'
import { InfluxTimeoutError } from '../../influx/errors.ts'
import { realTimers } from '../../lib/clock.ts'
import { startFaultProxy } from '../../test/harness/faultProxy.ts'
import { createDaySummaries } from './summary.ts'
import { toLine } from '../../influx/lineProtocol.ts'
import { toPoint } from '../../influx/schema/index.ts'
import { resolveRules } from '../../contracts/registry.ts'
import { createTestDatabase, type TestDatabase } from '../../test/harness/influxdb.ts'
import { testRegistry } from '../../test/fixtures/registry.ts'
import type { FactSource } from '../factSource.ts'
import { completenessOn } from './history.ts'
import { createModel } from './model.ts'

const TZ = 'Asia/Shanghai'
const L = (day: string, hhmm: string): number => Date.parse(`${day}T${hhmm}:00+08:00`)
const log = pino({ level: 'silent' })
const D = '2025-04-07'
const D1 = '2025-04-08'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase('summary')
})
afterAll(async () => {
  await db?.drop()
})

const ticket = (seq: number, ts: number, recvMs: number, netKg = 4000): WeighingFact => ({
  kind: 'weighing',
  deviceId: 'wb-1',
  ts,
  recvMs,
  seq,
  siteId: 'ts-1',
  siteType: 'transfer',
  district: '梁溪',
  ticketId: `S-${seq}`,
  direction: 'in',
  stream: 'residual',
  grossKg: netKg + 10_000,
  tareKg: 10_000,
  netKg,
  plate: '苏B12345'
})

function node(clock: { now: number }) {
  const { registry } = testRegistry()
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
  const model = createModel({
    facts,
    influx: db.client,
    registry: { current: () => registry, onChange: () => () => undefined },
    tz: TZ,
    now: () => clock.now,
    log,
    summaryCloseDelayMs: 0,
    summaryRecomputeDelayMs: 20
  })
  return {
    registry,
    model,
    async commit(...fs: Fact[]) {
      const res = await db.client.write(fs.map((f) => toLine(toPoint(f))).join('\n'))
      expect(res.status).toBe(204)
      listener?.(fs)
    }
  }
}

describe('day summaries', () => {
  it("serve a closed day's completeness, and a late fact for that day rewrites its summary", async () => {
    const clock = { now: L(D1, '10:00') }
    const a = node(clock)
    const rejection: RejectionFact = {
      kind: 'rejection',
      deviceId: 'wb-1',
      recvMs: L(D, '12:00'),
      code: 'INGEST_E_SCHEMA',
      msgKind: 'weighing',
      topic: 'v1/devices/wb-1/weighing',
      ts: L(D, '11:59'),
      seq: 5,
      error: 'netKg: must equal grossKg − tareKg',
      excerpt: '{"seq":5}'
    }
    // seq 1, 2, 4 on time, 5 rejected, 3 missing; 6 two hours late.
    await a.commit(
      ticket(1, L(D, '08:00'), L(D, '08:00') + 500),
      ticket(2, L(D, '09:00'), L(D, '09:00') + 500),
      ticket(4, L(D, '11:00'), L(D, '11:00') + 500),
      rejection,
      ticket(6, L(D, '13:00'), L(D, '15:00'))
    )
    const models = [a.model]
    try {
      await a.model.start()
      await a.model.summariesSettled!()
      const ctx = { tz: TZ, rules: resolveRules(a.registry.rules), zones: a.registry.zones ?? [] }
      const byDevice = await a.model.completeness('device', D)
      // The full fold of the day's points, the way past days were read before summaries.
      expect(byDevice).toEqual(await completenessOn(db.client, a.registry, D, 'device', ctx))
      expect(byDevice.find((r) => r.key === 'wb-1')).toMatchObject({
        accepted: 4,
        rejectedTotal: 1,
        rejected: { INGEST_E_SCHEMA: 1 },
        late: 1,
        missing: 1
      })
      expect(await a.model.completeness('site', D)).toEqual(await completenessOn(db.client, a.registry, D, 'site', ctx))
      // Stored: the meta point and wb-1's row.
      const [r] = await db.client.query(`SELECT * FROM "day_summary" WHERE "part" = 'device' GROUP BY "key"`)
      expect(rows(r).map((x) => x.key)).toContain('wb-1')

      // Today 10:00: seq 3 of yesterday arrives, a day late.
      await a.commit(ticket(3, L(D, '10:00'), clock.now))
      await vi.waitFor(
        async () =>
          expect((await a.model.completeness('device', D)).find((r) => r.key === 'wb-1')).toMatchObject({
            accepted: 5,
            late: 2,
            missing: 0
          }),
        { timeout: 10_000, interval: 50 }
      )
      expect(await a.model.completeness('device', D)).toEqual(
        await completenessOn(db.client, a.registry, D, 'device', ctx)
      )

      // Another process reads the stored summary and agrees; then a late fact this one never
      // sees makes the stored summary stale: the other reads the day again.
      const b = node(clock)
      models.push(b.model)
      await b.model.start()
      expect(await b.model.completeness('device', D)).toEqual(await a.model.completeness('device', D))
      await a.commit({ ...rejection, seq: 7, recvMs: clock.now, excerpt: '{"seq":7}' })
      await a.model.summariesSettled!()
      expect((await b.model.completeness('site', D)).find((r) => r.key === 'ts-1')).toMatchObject({
        accepted: 5,
        rejectedTotal: 2
      })
    } finally {
      for (const m of models) await m.close()
    }
  })

  it('a reader waits a bounded time for a summary being computed (then 503), then gets it', async () => {
    const proxy = await startFaultProxy(db.url)
    const influx = createInfluxClient({ url: proxy.url, db: db.db, ...(db.auth ? { auth: db.auth } : {}) })
    const { registry } = testRegistry()
    const ctx = { tz: TZ, rules: resolveRules(registry.rules), zones: registry.zones ?? [] }
    const summaries = createDaySummaries({
      influx,
      tz: TZ,
      registry: () => registry,
      ctx: () => ctx,
      now: Date.now,
      log,
      timers: realTimers,
      recomputeDelayMs: 60_000,
      readWaitMs: 300
    })
    try {
      // InfluxDB answers the day's queries slowly: the computation takes seconds.
      proxy.inject({ kind: 'delay', ms: 1500 }, { times: 3, pathPrefix: '/query' })
      summaries.markDirty(D)
      const t0 = Date.now()
      await expect(summaries.get(D)).rejects.toBeInstanceOf(InfluxTimeoutError)
      expect(Date.now() - t0).toBeLessThan(1400)
      await summaries.settled()
      expect((await summaries.get(D)).devices.get('wb-1')).toMatchObject({ accepted: 5 })
    } finally {
      await summaries.close()
      await proxy.close()
    }
  })

  it('close starts none of the computations still queued: one request per past day cannot hold a stop', async () => {
    const { registry } = testRegistry()
    const ctx = { tz: TZ, rules: resolveRules(registry.rules), zones: registry.zones ?? [] }
    let queries = 0
    const counting = {
      ...db.client,
      query: (...a: Parameters<typeof db.client.query>) => (queries++, db.client.query(...a))
    }
    const summaries = createDaySummaries({
      influx: counting,
      tz: TZ,
      registry: () => registry,
      ctx: () => ctx,
      now: Date.now,
      log,
      timers: realTimers,
      recomputeDelayMs: 60_000
    })
    // Forty past days asked for at once (what a client walking the history does): one runs, the rest queue.
    const days = Array.from({ length: 40 }, (_, i) => `2024-01-${String(1 + (i % 28)).padStart(2, '0')}`)
    const asked = [...new Set(days)].map((d) => summaries.get(d).catch(() => undefined))
    await vi.waitFor(() => expect(queries).toBeGreaterThan(asked.length), { timeout: 10_000 })
    const before = queries
    await summaries.close()
    await Promise.all(asked)
    // At most the queries of the computation running at close (its current and next hour).
    expect(queries - before).toBeLessThan(6)
  })
})
