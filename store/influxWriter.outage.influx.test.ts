// The writer's outage probe against a real InfluxDB through the fault-injecting proxy
// (test/harness/faultProxy.ts): while connections are dropped, one batch probes with GET /ping and
// no batch is resent; once /ping answers, every batch is written, each point exactly once.
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInfluxClient, rows } from '../influx/client.ts'
import { createTestDatabase, type TestDatabase } from '../test/harness/influxdb.ts'
import { startFaultProxy, type FaultProxy } from '../test/harness/faultProxy.ts'
import { createWriter } from './influxWriter.ts'

let t: TestDatabase
let proxy: FaultProxy
beforeAll(async () => {
  t = await createTestDatabase('writer_outage')
  proxy = await startFaultProxy(t.url)
})
afterAll(async () => {
  await proxy?.close()
  await t?.drop()
})

const T0 = BigInt(Date.now() - 3_600_000) * 1_000_000n

describe('writer → fault proxy → influxd, connections dropped', () => {
  it('probes with /ping while nothing answers, then writes both batches once', async () => {
    const client = createInfluxClient({ url: proxy.url, db: t.db, timeoutMs: 2000, auth: t.auth ?? undefined })
    const writer = createWriter({
      client,
      log: pino({ level: 'silent' }),
      maxBatchLines: 100,
      maxInFlight: 2,
      retry: { initialMs: 5, probeMs: 20 }
    })
    proxy.inject({ kind: 'drop' }, { times: 6, pathPrefix: '/' }) // writes and pings alike
    const line = (i: number): string => `outage_test,device=d${i % 7} v=${i}i ${T0 + BigInt(i)}`
    const a = writer.write(Array.from({ length: 100 }, (_, i) => line(i)))
    const b = writer.write(Array.from({ length: 100 }, (_, i) => line(100 + i)))
    await expect(Promise.all([a, b])).resolves.toEqual([{ rejected: [] }, { rejected: [] }])
    await writer.close()

    const writes = proxy.requests.filter((r) => r.path.startsWith('/write'))
    const pings = proxy.requests.filter((r) => r.path.startsWith('/ping'))
    // Both batches dropped once, then written once each; the four other faults fell on pings.
    expect(writes.map((r) => r.fault)).toEqual(['drop', 'drop', undefined, undefined])
    expect(pings.map((r) => r.fault)).toEqual(['drop', 'drop', 'drop', 'drop', undefined])
    expect(writer.stats()).toMatchObject({ lines: 200, requests: 4, probes: 5 })
    const [r] = await t.client.query('SELECT count(v) AS n, sum(v) AS s FROM outage_test')
    expect(rows(r)[0]).toMatchObject({ n: 200, s: (199 * 200) / 2 })
  })
})
