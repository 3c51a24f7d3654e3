import { describe, expect, it, onTestFinished } from 'vitest'
import { startFaultProxy } from '../harness/faultProxy.ts'
import { createTestDatabase } from '../harness/influxdb.ts'
import { withSystem } from '../harness/system.ts'

// A frozen InfluxDB (the fault proxy accepts and does not answer for a minute) must turn into
// a prompt 503 from /readyz and the API, not a wait as long as the write timeout. The whole
// node on a real InfluxDB behind the proxy; QINGYUN_INFLUX_QUERY_TIMEOUT_MS and
// QINGYUN_INFLUX_PING_TIMEOUT_MS at their defaults (2 s, 1 s).
//
// The one deadline below is a liveness bound far above those timeouts (a reply, any reply,
// within 6 s), not a speed measurement: before query/ping had their own timeouts the node
// answered only after the 10 s client timeout.
const DEADLINE_MS = 6_000
const FROZEN_MS = 10_000

describe('InfluxDB frozen', () => {
  it('/readyz and /api/v1/history answer 503 within the query/ping timeouts', async () => {
    const db = await createTestDatabase('freeze')
    onTestFinished(() => db.drop())
    const proxy = await startFaultProxy(db.url)
    onTestFinished(() => proxy.close())
    const t = await withSystem({ db, influxUrl: proxy.url })
    const token = await t.token('viewer')
    expect((await fetch(`${t.httpUrl}/readyz`)).status).toBe(200)

    // Frozen for longer than the deadline below, and no longer: the node's stop at the end
    // waits for what is still held.
    proxy.inject({ kind: 'delay', ms: FROZEN_MS }, { times: 1000, pathPrefix: '/query' })
    proxy.inject({ kind: 'delay', ms: FROZEN_MS }, { times: 1000, pathPrefix: '/ping' })

    const ready = await fetch(`${t.httpUrl}/readyz`, { signal: AbortSignal.timeout(DEADLINE_MS) })
    expect(ready.status).toBe(503)
    expect(((await ready.json()) as { checks: { influx: boolean } }).checks.influx).toBe(false)

    const history = await fetch(`${t.httpUrl}/api/v1/history?from=2026-11-01&to=2026-11-03`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(DEADLINE_MS)
    })
    expect(history.status).toBe(503)
    expect(((await history.json()) as { error: { code: string } }).error.code).toBe('API_E_UNAVAILABLE')
  })
})
