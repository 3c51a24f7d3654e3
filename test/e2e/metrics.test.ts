import { readFile } from 'node:fs/promises'
import { describe, expect, it, onTestFinished } from 'vitest'
import WebSocket from 'ws'
import { WS_PATH } from '../../contracts/ws.ts'
import { ticket } from '../fixtures/messages.ts'
import { parsePrometheus, type Scrape } from '../harness/prometheus.ts'
import { withSystem, type TestSystem } from '../harness/system.ts'

// GET /metrics on a real node: mqtt.js publishes, then Prometheus' text format read over HTTP.

const METRICS_TOKEN = 'metrics-token-0123456789abcdef'
const DASHBOARD = new URL('../../ops/grafana/qingyun.json', import.meta.url)

async function scrape(t: TestSystem, token: string | undefined = METRICS_TOKEN): Promise<Scrape> {
  const res = await fetch(`${t.httpUrl}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {})
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  return parsePrometheus(await res.text())
}

/** Cumulative buckets that end in +Inf = _count, as Prometheus requires of a histogram. */
function expectHistogram(s: Scrape, name: string, count: number): void {
  const buckets = s.all(`${name}_bucket`)
  expect(buckets.length).toBeGreaterThan(5)
  const values = buckets.map((b) => b.value)
  expect([...values].sort((a, b) => a - b)).toEqual(values)
  expect(buckets.at(-1)!.labels.le).toBe('+Inf')
  expect(s.value(`${name}_bucket`, { le: '+Inf' })).toBe(count)
  expect(s.value(`${name}_count`)).toBe(count)
  expect(s.value(`${name}_sum`)).toBeGreaterThan(0)
}

describe('GET /metrics', () => {
  it('counts what devices sent: received, acked, accepted and rejected by code, and the latencies', async () => {
    const t = await withSystem({ env: { QINGYUN_METRICS_TOKEN: METRICS_TOKEN } })
    const wb = await t.device('wb-1')
    const topic = 'v1/devices/wb-1/weighing'
    for (const id of ['T-1', 'T-2', 'T-3']) await wb.publishAsync(topic, JSON.stringify(ticket(id)), { qos: 1 })
    await wb.publishAsync(topic, '{"ts": not json', { qos: 1 })
    await wb.publishAsync(topic, JSON.stringify(ticket('T-4', { netKg: -5 })), { qos: 1 })
    await wb.publishAsync(topic, JSON.stringify(ticket('T-5', { ts: Date.now() + 86_400_000 })), { qos: 1 })
    await t.forwarded()

    // The node may append records of its own meanwhile (an alert); once they are forwarded too,
    // the lag is 0.
    await expect.poll(async () => (await scrape(t)).value('qingyun_forward_lag_points'), { timeout: 10_000 }).toBe(0)
    const s = await scrape(t)
    expect(s.value('qingyun_messages_received_total')).toBe(6)
    expect(s.value('qingyun_messages_acked_total')).toBe(6)
    expect(s.value('qingyun_ingest_objects_accepted_total')).toBe(3)
    expect(s.value('qingyun_ingest_objects_rejected_total', { code: 'INGEST_E_JSON' })).toBe(1)
    expect(s.value('qingyun_ingest_objects_rejected_total', { code: 'INGEST_E_SCHEMA' })).toBe(1)
    expect(s.value('qingyun_ingest_objects_rejected_total', { code: 'INGEST_E_TS_RANGE' })).toBe(1)
    expect(s.value('qingyun_ingest_objects_rejected_total', { code: 'INGEST_E_TOO_LARGE' })).toBe(0)
    expect(s.types.get('qingyun_ingest_objects_rejected_total')).toBe('counter')
    expect(s.value('qingyun_mqtt_connections')).toBe(1)
    expectHistogram(s, 'qingyun_puback_latency_seconds', 6)
    // Six messages: three data points and three rejection records, all forwarded.
    expect(s.value('qingyun_forwarded_points_total')).toBeGreaterThanOrEqual(6)
    expect(s.value('qingyun_forward_lag_seconds')).toBeGreaterThanOrEqual(0)
    expect(s.value('qingyun_influx_lines_written_total')).toBeGreaterThanOrEqual(6)
    expect(s.value('qingyun_influx_write_errors_total', { kind: 'network' })).toBe(0)
    expect(s.value('qingyun_influx_write_seconds_count')).toBeGreaterThan(0)
    expect(s.value('qingyun_spool_fsync_seconds_count')).toBeGreaterThan(0)
    expect(s.value('qingyun_spool_segments')).toBeGreaterThan(0)
    expect(s.value('qingyun_spool_bytes')).toBeGreaterThan(0)
    expect(s.value('qingyun_spool_full')).toBe(0)
    expect(s.value('qingyun_alerts_open', { severity: 'critical' })).toBeGreaterThanOrEqual(0)
    expect(s.value('qingyun_ws_slow_clients_dropped_total')).toBe(0)
    // prom-client's process metrics, from this node's own registry.
    expect(s.value('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0)
    expect(s.value('process_resident_memory_bytes')).toBeGreaterThan(0)
  })

  it('counts open websocket clients', async () => {
    const t = await withSystem({ env: { QINGYUN_METRICS_TOKEN: METRICS_TOKEN } })
    const token = await t.token('viewer')
    const ws = new WebSocket(`${t.httpUrl.replace('http', 'ws')}${WS_PATH}`, {
      headers: { authorization: `Bearer ${token}` }
    })
    ws.on('error', () => undefined)
    onTestFinished(() => ws.terminate())
    await expect.poll(async () => (await scrape(t)).value('qingyun_ws_clients'), { timeout: 10_000 }).toBe(1)
    ws.close()
    await expect.poll(async () => (await scrape(t)).value('qingyun_ws_clients'), { timeout: 10_000 }).toBe(0)
  })

  it('needs the bearer token of QINGYUN_METRICS_TOKEN when it is set', async () => {
    const t = await withSystem({ env: { QINGYUN_METRICS_TOKEN: METRICS_TOKEN, QINGYUN_AUTH_MAX_FAILURES: '3' } })
    const none = await fetch(`${t.httpUrl}/metrics`)
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('API_E_AUTH')
    const wrong = await fetch(`${t.httpUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } })
    expect(wrong.status).toBe(401)
    expect(await wrong.text()).not.toContain('qingyun_')
    // An operator's token is not the metrics token.
    const operator = await fetch(`${t.httpUrl}/metrics`, {
      headers: { authorization: `Bearer ${await t.token('admin')}` }
    })
    expect(operator.status).toBe(401)
    // Three failures from this address: the next try is refused without looking at the token…
    const blocked = await fetch(`${t.httpUrl}/metrics`, { headers: { authorization: 'Bearer guess-guess-guess' } })
    expect(blocked.status).toBe(429)
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    // …but the right token always gets in.
    await scrape(t, METRICS_TOKEN)
  })

  it('is open without QINGYUN_METRICS_TOKEN, and each node in a process counts its own messages', async () => {
    const a = await withSystem()
    const b = await withSystem()
    const wb = await a.device('wb-1')
    await wb.publishAsync('v1/devices/wb-1/weighing', JSON.stringify(ticket('T-9')), { qos: 1 })
    const fill = await b.device('fill-1')
    await fill.publishAsync('v1/devices/fill-1/fill', '[]', { qos: 1 })
    await fill.publishAsync('v1/devices/fill-1/fill', '[]', { qos: 1 })
    const sa = await scrape(a, undefined)
    const sb = await scrape(b, undefined)
    expect(sa.value('qingyun_messages_received_total')).toBe(1)
    expect(sa.value('qingyun_ingest_objects_accepted_total')).toBe(1)
    expect(sb.value('qingyun_messages_received_total')).toBe(2)
    expect(sb.value('qingyun_ingest_objects_accepted_total')).toBe(0)
    expect(sb.value('qingyun_ingest_objects_rejected_total', { code: 'INGEST_E_SHAPE' })).toBe(2)
  })
})

describe('the Grafana dashboard (ops/grafana/qingyun.json)', () => {
  it('queries only metrics a real node exposes', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[] }[]
      templating: { list: { definition?: string }[] }
    }
    const exprs = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...dashboard.templating.list.flatMap((v) => (v.definition ? [v.definition] : []))
    ]
    const queried = new Set(exprs.flatMap((e) => e.match(/\b(?:qingyun|nodejs|process)_[a-z0-9_]+/g) ?? []))
    expect(queried.size).toBeGreaterThan(20)

    const t = await withSystem()
    // Every kind of sample present: a message stored, so histograms and counters have values.
    const wb = await t.device('wb-1')
    await wb.publishAsync('v1/devices/wb-1/weighing', JSON.stringify(ticket('T-1')), { qos: 1 })
    await t.forwarded()
    const exposed = new Set((await scrape(t, undefined)).samples.map((s) => s.name))
    expect([...queried].filter((name) => !exposed.has(name))).toEqual([])
    // And every qingyun_ metric the node exposes is on the dashboard.
    const families = [...exposed]
      .filter((n) => n.startsWith('qingyun_'))
      .map((n) => n.replace(/_(sum|count)$/, '_bucket'))
    expect([...new Set(families)].filter((name) => !queried.has(name))).toEqual([])
  })
})
