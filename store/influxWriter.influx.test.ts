// The writer against a real InfluxDB through the fault-injecting proxy (test/harness/faultProxy.ts):
// after 503s, 429 + Retry-After, dropped connections, lost responses and stalls, every point must
// be in InfluxDB exactly once; a line InfluxDB refuses must be refused alone.
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInfluxClient, rows } from '../influx/client.ts'
import { createTestDatabase, type TestDatabase } from '../test/harness/influxdb.ts'
import { startFaultProxy, type FaultProxy } from '../test/harness/faultProxy.ts'
import { createWriter } from './influxWriter.ts'

let t: TestDatabase
let proxy: FaultProxy
beforeAll(async () => {
  t = await createTestDatabase('writer')
  proxy = await startFaultProxy(t.url)
})
afterAll(async () => {
  await proxy?.close()
  await t?.drop()
})

const log = pino({ level: 'silent' })
// Recent timestamps keep every point in one shard (1.x checks field types per shard).
const T0 = BigInt(Date.now() - 3_600_000) * 1_000_000n

async function countAndSum(measurement: string): Promise<{ count: number; sum: number }> {
  const [r] = await t.client.query(`SELECT count(v) AS count, sum(v) AS sum FROM ${measurement}`)
  const [row] = rows(r)
  return { count: Number(row?.count ?? 0), sum: Number(row?.sum ?? 0) }
}

describe('writer → fault proxy → influxd', () => {
  it('stores every point exactly once through 503, 429, drops, lost responses and stalls', async () => {
    const client = createInfluxClient({ url: proxy.url, db: t.db, timeoutMs: 400, auth: t.auth ?? undefined })
    const writer = createWriter({ client, log, maxBatchLines: 100, maxInFlight: 2, retry: { initialMs: 5, maxMs: 50 } })

    proxy.inject({ kind: 'status', status: 503 }, { times: 2 })
    proxy.inject({ kind: 'status', status: 429, retryAfter: '1' })
    proxy.inject({ kind: 'drop' }, { times: 2 })
    proxy.inject({ kind: 'lose-response' }, { times: 3 }) // stored, but the writer never hears so
    proxy.inject({ kind: 'delay', ms: 700 }) // answered after the client's 400 ms timeout
    proxy.inject({ kind: 'status', status: 500, body: '{"error":"timeout"}' })
    const faults = proxy.queued()

    const N = 3000
    const callers = 60
    const per = N / callers
    const started = Date.now()
    const results = await Promise.all(
      Array.from({ length: callers }, (_, c) =>
        writer.write(
          Array.from({ length: per }, (_, j) => {
            const i = c * per + j
            return `fault_test,device=d${i % 17} v=${i}i ${T0 + BigInt(i)}`
          })
        )
      )
    )
    const elapsed = Date.now() - started
    expect(results.every((r) => r.rejected.length === 0)).toBe(true)
    expect(proxy.queued()).toBe(0)
    expect(proxy.requests.filter((r) => r.fault !== undefined)).toHaveLength(faults)

    const s = writer.stats()
    expect(s.lines).toBe(N)
    expect(s.retries).toBeGreaterThanOrEqual(faults)
    expect(s.rejectedLines).toBe(0)
    expect(elapsed).toBeGreaterThanOrEqual(1000) // Retry-After: 1 was honoured
    // Duplicated deliveries (lost responses, the stall) overwrite themselves: exactly N points.
    expect(await countAndSum('fault_test')).toEqual({ count: N, sum: (N * (N - 1)) / 2 })
    await writer.close()
  })

  it('rejects a type-conflicting line alone; the rest of its batch lands', async () => {
    // Field v is a float in this shard...
    expect((await t.client.write(`conflict_test,site=a v=0.5 ${T0}`)).status).toBe(204)
    const client = createInfluxClient({ url: proxy.url, db: t.db, auth: t.auth ?? undefined })
    const writer = createWriter({ client, log, maxBatchLines: 5000 })
    const lines = Array.from({ length: 200 }, (_, i) => `conflict_test,site=b v=${i + 1} ${T0 + 1n + BigInt(i)}`)
    lines[77] = `conflict_test,site=b v="a string now" ${T0 + 78n}` // ...so a string v is refused
    lines[150] = 'not line protocol at all'

    const { rejected } = await writer.write(lines)
    expect(rejected.map((r) => r.index)).toEqual([77, 150])
    expect(rejected[0]!.error).toMatch(/field type conflict/)
    expect(rejected[1]!.error).toMatch(/unable to parse/)
    const s = writer.stats()
    expect(s).toMatchObject({ lines: 198, rejectedLines: 2, retries: 0, batches: 1 })
    expect(s.requests).toBeLessThan(40)

    const expectedSum = 0.5 + lines.reduce((acc, _l, i) => (i === 77 || i === 150 ? acc : acc + i + 1), 0)
    expect(await countAndSum('conflict_test')).toEqual({ count: 199, sum: expectedSum })
    await writer.close()
  })

  it('keeps the data while the database is missing (404) and writes it once it exists', async () => {
    const other = `${t.db}_late`
    const admin = createInfluxClient({ url: t.url, db: other, auth: t.auth ?? undefined })
    const client = createInfluxClient({ url: proxy.url, db: other, auth: t.auth ?? undefined })
    const waits: number[] = []
    let created = false
    const writer = createWriter({
      client,
      log,
      retry: { initialMs: 5, maxMs: 20 },
      // Create the database after a few refusals, from inside the backoff.
      sleep: async (ms) => {
        waits.push(ms)
        if (waits.length === 3 && !created) {
          created = true
          await admin.ensureDatabase()
        }
        await new Promise((resolve) => setTimeout(resolve, ms))
      }
    })
    try {
      const res = await writer.write([`late v=1 ${T0}`, `late v=2 ${T0 + 1n}`])
      expect(res.rejected).toEqual([])
      expect(writer.stats().lastError).toMatchObject({ reason: 'config', status: 404 })
      const [r] = await admin.query('SELECT count(v) AS n FROM late')
      expect(rows(r)[0]?.n).toBe(2)
    } finally {
      await writer.close()
      if (created) await admin.query(`DROP DATABASE "${other}"`)
    }
  })
})
