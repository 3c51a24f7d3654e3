// The client against the run's real InfluxDB (test/harness/influx.ts), plus the fault proxy for
// answers the real server will not give on cue (Retry-After, dropped connections, stalls).
import { createServer, type Server } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInfluxClient, parseRetryAfter, quoteIdent, rows } from './client.ts'
import { InfluxError, InfluxNetworkError, InfluxQueryError, InfluxTimeoutError } from './errors.ts'
import { toLines } from './lineProtocol.ts'
import { float, int, str } from './point.ts'
import { createTestDatabase, type TestDatabase } from '../test/harness/influxdb.ts'
import { startFaultProxy, type FaultProxy } from '../test/harness/faultProxy.ts'

let t: TestDatabase
let proxy: FaultProxy
beforeAll(async () => {
  t = await createTestDatabase('client')
  proxy = await startFaultProxy(t.url)
})
afterAll(async () => {
  await proxy?.close()
  await t?.drop()
})

const T0 = BigInt(Date.UTC(2026, 5, 1)) * 1_000_000n

describe('client against InfluxDB', () => {
  it('pings', async () => {
    expect(await t.client.ping()).toBe(true)
  })

  it('ensureDatabase is idempotent', async () => {
    expect(await t.client.ensureDatabase()).toBe(true)
    expect(await t.client.ensureDatabase()).toBe(true)
  })

  it('writes line protocol and reads it back as rows', async () => {
    const body = toLines([
      {
        measurement: 'weighing',
        tags: { site: 'wx-lx-01', stream: 'residual' },
        fields: { net_kg: float(8120.5), seq: int(1), plate: str('苏B12345') },
        timeNs: T0
      },
      {
        measurement: 'weighing',
        tags: { site: 'wx-xs-02', stream: 'kitchen' },
        fields: { net_kg: float(950), seq: int(2), plate: str('苏B6789A') },
        timeNs: T0 + 1_000_000n
      }
    ]).join('\n')
    const res = await t.client.write(body)
    expect(res).toEqual({ status: 204, body: '' })

    const [r] = await t.client.query('SELECT net_kg, seq, plate, site FROM weighing ORDER BY time', { epoch: 'ms' })
    expect(rows(r)).toEqual([
      { time: Number(T0 / 1_000_000n), net_kg: 8120.5, seq: 1, plate: '苏B12345', site: 'wx-lx-01' },
      { time: Number(T0 / 1_000_000n) + 1, net_kg: 950, seq: 2, plate: '苏B6789A', site: 'wx-xs-02' }
    ])

    const [g] = await t.client.query('SELECT sum(net_kg) AS kg FROM weighing GROUP BY site')
    expect(
      rows(g)
        .map((x) => [x.site, x.kg])
        .sort()
    ).toEqual([
      ['wx-lx-01', 8120.5],
      ['wx-xs-02', 950]
    ])
  })

  it('binds query parameters', async () => {
    const [r] = await t.client.query('SELECT count(net_kg) FROM weighing WHERE site = $site', {
      params: { site: 'wx-lx-01' }
    })
    expect(rows(r)[0]).toMatchObject({ count: 1 })
  })

  it('answers a bad write with the status and InfluxDB error text, without throwing', async () => {
    // Same shard as the float values above: 1.x checks field types per shard.
    const res = await t.client.write(`weighing,site=x net_kg="text" ${T0 + 5n}`)
    expect(res.status).toBe(400)
    expect(res.body).toContain('field type conflict')
  })

  it('throws InfluxQueryError with the InfluxQL error text', async () => {
    const err = await t.client.query('SELEC nonsense').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InfluxQueryError)
    expect(err).toMatchObject({ code: 'INFLUX_E_QUERY' })
    expect((err as InfluxQueryError).influxError).toMatch(/error parsing query/)

    const err2 = await t.client
      .query(`SELECT * FROM ${quoteIdent('weighing')}; SELECT * FROM nope WHERE a =~ /[/`)
      .catch((e: unknown) => e)
    expect(err2).toBeInstanceOf(InfluxQueryError)
  })

  it('returns empty results for a query that matches nothing', async () => {
    const [r] = await t.client.query('SELECT * FROM no_such_measurement')
    expect(rows(r)).toEqual([])
  })
})

describe('client through the fault proxy', () => {
  it('parses Retry-After seconds and HTTP-dates from write answers', async () => {
    const now = Date.UTC(2026, 0, 1, 0, 0, 0)
    const client = createInfluxClient({ url: proxy.url, db: t.db, now: () => now })
    proxy.inject({ kind: 'status', status: 429, retryAfter: '7' })
    expect(await client.write('m v=1 1')).toMatchObject({ status: 429, retryAfterMs: 7000 })
    proxy.inject({ kind: 'status', status: 503, retryAfter: new Date(now + 2500).toUTCString() })
    const r = await client.write('m v=1 1')
    expect(r.status).toBe(503)
    expect(r.retryAfterMs).toBe(2000) // HTTP-dates have whole seconds
  })

  it('throws InfluxNetworkError when the connection drops, naming no secret', async () => {
    const client = createInfluxClient({ url: proxy.url, db: t.db, auth: { token: 's3cr3t-token' } })
    proxy.inject({ kind: 'drop' })
    const err = await client.write('m v=1 1').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InfluxNetworkError)
    expect(err).toMatchObject({ code: 'INFLUX_E_NETWORK' })
    expect((err as Error).cause).toBeDefined()
    expect(JSON.stringify(err) + String(err)).not.toContain('s3cr3t')
  })

  it('sends Token and Basic authorization headers', async () => {
    await createInfluxClient({ url: proxy.url, db: t.db, auth: { token: 'tok' } }).ping()
    await createInfluxClient({ url: proxy.url, db: t.db, auth: { username: 'u', password: 'p:w' } }).ping()
    await createInfluxClient({ url: proxy.url.replace('http://', 'http://v%40x:pw@'), db: t.db }).ping()
    const auths = proxy.requests
      .filter((r) => r.path === '/ping')
      .slice(-3)
      .map((r) => r.headers.authorization)
    expect(auths).toEqual([
      'Token tok',
      `Basic ${Buffer.from('u:p:w').toString('base64')}`,
      `Basic ${Buffer.from('v@x:pw').toString('base64')}`
    ])
  })

  it('strips credentials from the URL it exposes', () => {
    const client = createInfluxClient({ url: 'http://user:secret@127.0.0.1:8086/', db: 'x' })
    expect(client.url).toBe('http://127.0.0.1:8086')
  })
})

describe('client failures without a server', () => {
  let silent: Server
  let silentUrl: string
  const sockets = new Set<Socket>()
  beforeAll(async () => {
    // Accepts connections and never answers: a stall the real server cannot be made to produce.
    silent = createServer((socket) => {
      sockets.add(socket)
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => silent.close(() => resolve()))
  })

  it('times out every call', async () => {
    const client = createInfluxClient({ url: silentUrl, db: 'x', timeoutMs: 200 })
    const started = Date.now()
    const err = await client.write('m v=1 1').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InfluxTimeoutError)
    expect(err).toBeInstanceOf(InfluxNetworkError)
    expect(err).toMatchObject({ code: 'INFLUX_E_TIMEOUT' })
    expect(Date.now() - started).toBeLessThan(5_000)
    await expect(client.query('SHOW DATABASES')).rejects.toBeInstanceOf(InfluxTimeoutError)
    expect(await client.ping()).toBe(false)
  })

  it('refused connections are network errors; ping is false; ensureDatabase rethrows', async () => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const client = createInfluxClient({ url: `http://127.0.0.1:${port}`, db: 'x' })
    const err = await client.write('m v=1 1').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InfluxNetworkError)
    expect((err as Error).message).toContain('ECONNREFUSED')
    expect(await client.ping()).toBe(false)
    await expect(client.ensureDatabase()).rejects.toBeInstanceOf(InfluxError)
  })
})

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP-dates, ignores garbage', () => {
    const now = Date.UTC(2026, 0, 1)
    expect(parseRetryAfter(null, now)).toBeUndefined()
    expect(parseRetryAfter('0', now)).toBe(0)
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000)
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter('-5', now)).toBeUndefined()
  })
})

describe('rows', () => {
  it('maps columns to objects, adds tags, and names series when several measurements answer', () => {
    expect(
      rows({
        statement_id: 0,
        series: [
          {
            name: 'a',
            tags: { site: 's1' },
            columns: ['time', 'v'],
            values: [
              [1, 10],
              [2, 20]
            ]
          },
          { name: 'b', columns: ['time', 'v'], values: [[3, 30]] }
        ]
      })
    ).toEqual([
      { _measurement: 'a', site: 's1', time: 1, v: 10 },
      { _measurement: 'a', site: 's1', time: 2, v: 20 },
      { _measurement: 'b', time: 3, v: 30 }
    ])
    expect(rows(undefined)).toEqual([])
    expect(rows({ statement_id: 0 })).toEqual([])
  })
})
