import { expect, it, onTestFinished } from 'vitest'
import { rows } from '../../influx/client.ts'
import { startFaultProxy } from '../harness/faultProxy.ts'
import { createTestDatabase } from '../harness/influxdb.ts'
import { withSystem } from '../harness/system.ts'

// The spool at its bound while InfluxDB refuses every write: PUBACKs wait (nothing is dropped),
// /readyz says so, a critical alert opens; once InfluxDB takes writes again, everything that
// waited is acknowledged and stored, and the spool has room again.
it('holds PUBACKs when the spool is full, says so on /readyz and in an alert, and loses nothing', async () => {
  const db = await createTestDatabase('spoolfull')
  onTestFinished(() => db.drop())
  const proxy = await startFaultProxy(db.url)
  onTestFinished(() => proxy.close())
  const t = await withSystem({ db, influxUrl: proxy.url, env: { QINGYUN_SPOOL_MAX_BYTES: String(1024 * 1024) } })
  const token = await t.token('viewer')
  const fill = await t.device('fill-1')
  proxy.inject({ kind: 'status', status: 503, body: 'down for the test' }, { times: 1_000_000 })

  const base = Date.now() - 3_600_000
  let acked = 0
  const batch = (k: number): string =>
    JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ ts: base + k * 500 + i, seq: k * 500 + i, fillPct: 50 })))
  const publishes = Array.from({ length: 16 }, (_, k) =>
    fill.publishAsync('v1/devices/fill-1/fill', batch(k), { qos: 1 }).then(() => void acked++)
  )

  // ~8,000 points of ~150 bytes: more than the 1 MiB the spool may hold unforwarded.
  await expect
    .poll(async () => (await fetch(`${t.httpUrl}/readyz`)).status, { timeout: 20_000, interval: 200 })
    .toBe(503)
  const ready = (await (await fetch(`${t.httpUrl}/readyz`)).json()) as {
    checks: { spool: boolean }
    details: { spool: { full: boolean } }
  }
  expect(ready.checks.spool).toBe(false)
  expect(ready.details.spool.full).toBe(true)
  expect(acked, 'some publishes wait for room in the spool').toBeLessThan(16)
  await expect
    .poll(
      async () => {
        const { body } = await t.api<{ type: string; state: string; severity: string }[]>(
          '/api/v1/alerts?type=spool-full&state=open',
          token
        )
        return Array.isArray(body) ? body.map((a) => `${a.type} ${a.severity}`) : body
      },
      { timeout: 20_000, interval: 250 }
    )
    .toEqual(['spool-full critical'])

  proxy.clear()
  await Promise.all(publishes)
  await fill.endAsync()
  expect(acked).toBe(16)
  await t.forwarded()
  const [r] = await db.client.query("SELECT count(fill_pct) AS n FROM fill WHERE device = 'fill-1'", { epoch: 'ms' })
  expect(rows(r)[0]?.n).toBe(8000)
  expect(t.system.store.spool.stats().full).toBe(false)
}, 90_000)
