import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createInfluxClient, rows } from '../../influx/client.ts'
import { findInfluxd, startLocalInfluxd, INFLUXD_INSTALL_HINT } from '../../influx/local.ts'
import { startFaultProxy } from '../harness/faultProxy.ts'
import { createTestDatabase } from '../harness/influxdb.ts'
import { withSystem } from '../harness/system.ts'

// InfluxDB going away under load. The outage test needs an influxd of its own to stop and
// start (the run's shared one serves other files); .ci/run installs it.

const ticket = (id: string, ts: number) =>
  JSON.stringify({
    ts,
    ticketId: id,
    direction: 'in',
    stream: 'kitchen',
    grossKg: 9000,
    tareKg: 6000,
    netKg: 3000,
    plate: '苏B23456'
  })

describe('InfluxDB outages', () => {
  it('keeps acking and the page live while InfluxDB is stopped, then stores every message exactly once', async () => {
    const influxd = findInfluxd()
    expect(influxd, `this test stops and restarts a local InfluxDB: ${INFLUXD_INSTALL_HINT}`).toBeDefined()
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-outage-'))
    onTestFinished(() => rm(dataDir, { recursive: true, force: true }))
    const log = pino({ level: 'silent' })
    let server = await startLocalInfluxd({ dataDir, log })
    onTestFinished(() => server.stop())
    const port = Number(new URL(server.url).port)
    const db = {
      client: createInfluxClient({ url: server.url, db: 'outage' }),
      db: 'outage',
      url: server.url,
      auth: undefined,
      drop: async () => {}
    }
    await db.client.ensureDatabase()
    const t = await withSystem({ db })
    const token = await t.token('viewer')
    const wb = await t.device('wb-1')

    const base = Date.now() - 300_000
    const acked = new Set<number>()
    const send = (i: number) =>
      wb
        .publishAsync('v1/devices/wb-1/weighing', ticket(`OUT-${i}`, base + i * 1000), { qos: 1 })
        .then(() => acked.add(i))

    await Promise.all(Array.from({ length: 50 }, (_, i) => send(i)))
    expect(acked.size).toBe(50)

    await server.stop()
    // PUBACK means durable in the node's spool: InfluxDB being away holds nothing up.
    await Promise.all(Array.from({ length: 50 }, (_, i) => send(50 + i)))
    expect(acked.size).toBe(100)
    expect(t.system.store.forwarder.stats().lagRecords, 'the second 50 wait in the spool').toBeGreaterThan(0)
    // The live numbers include them while InfluxDB is down.
    await expect
      .poll(async () => (await t.api<{ inT: number }>('/api/v1/sites/ts-1/balance', token)).body.inT)
      .toBe(300)

    server = await startLocalInfluxd({ dataDir, log, port })
    await t.forwarded()
    const [r] = await db.client.query('SELECT count(net_kg) AS n, sum(net_kg) AS kg FROM weighing', { epoch: 'ms' })
    expect(rows(r)).toMatchObject([{ n: 100, kg: 300_000 }])
    const [perTicket] = await db.client.query('SELECT count(net_kg) AS n FROM weighing WHERE ticket_id =~ /^OUT-/', {
      epoch: 'ms'
    })
    expect(rows(perTicket)[0]?.n).toBe(100)
  }, 90_000)

  it('does not hold PUBACKs for a slow InfluxDB: acks arrive while the write is still held', async () => {
    const db = await createTestDatabase('puback')
    onTestFinished(() => db.drop())
    const proxy = await startFaultProxy(db.url)
    onTestFinished(() => proxy.close())
    const t = await withSystem({ db, influxUrl: proxy.url })
    const wb = await t.device('wb-1')
    // Every write is held for 3 s (not just the next one: the forwarder may be writing something
    // else, an alert or a status, when the ticket arrives).
    proxy.inject({ kind: 'delay', ms: 3000 }, { times: 100 })
    await wb.publishAsync('v1/devices/wb-1/weighing', ticket('SLOW-1', Date.now() - 1000), { qos: 1 })
    // Acknowledged, and the write that carries it has not been answered yet.
    const [before] = await db.client.query("SELECT count(net_kg) AS n FROM weighing WHERE ticket_id = 'SLOW-1'", {
      epoch: 'ms'
    })
    expect(rows(before)).toEqual([])
    // The forwarder's write is on its way (the proxy holds it for 3 s).
    await expect
      .poll(() => proxy.requests.filter((r) => r.path.startsWith('/write')).map((r) => r.fault))
      .toContain('delay')
    proxy.clear()
    await t.forwarded()
    const [after] = await db.client.query("SELECT count(net_kg) AS n FROM weighing WHERE ticket_id = 'SLOW-1'", {
      epoch: 'ms'
    })
    expect(rows(after)).toMatchObject([{ n: 1 }])
  })

  it('stays up, acking and not ready while InfluxDB cannot answer queries at start, then becomes ready', async () => {
    const db = await createTestDatabase('rebuild')
    onTestFinished(() => db.drop())
    const proxy = await startFaultProxy(db.url)
    onTestFinished(() => proxy.close())
    // Writes go through; every query (CREATE DATABASE, today's rebuild) gets 503 for a while.
    proxy.inject({ kind: 'status', status: 503, body: 'warming up' }, { times: 6, pathPrefix: '/query' })
    const t = await withSystem({ db, influxUrl: proxy.url })
    const token = await t.token('viewer')
    const wb = await t.device('wb-1')
    await wb.publishAsync('v1/devices/wb-1/weighing', ticket('REBUILD-1', Date.now() - 1000), { qos: 1 })
    await expect
      .poll(async () => (await fetch(`${t.httpUrl}/readyz`)).status, { timeout: 30_000, interval: 200 })
      .toBe(200)
    expect(proxy.requests.filter((r) => r.path.startsWith('/query') && r.fault === 'status').length).toBe(6)
    const balance = async () => (await t.api<{ inT: number }>('/api/v1/sites/ts-1/balance', token)).body
    await expect.poll(balance).toMatchObject({ inT: 3 })
  }, 60_000)

  it('retries through 503s and a lost response without losing or duplicating a message', async () => {
    const db = await createTestDatabase('faults')
    onTestFinished(() => db.drop())
    const proxy = await startFaultProxy(db.url)
    onTestFinished(() => proxy.close())
    const t = await withSystem({ db, influxUrl: proxy.url })
    const wb = await t.device('wb-1')
    proxy.inject({ kind: 'status', status: 503, body: 'overloaded' }, { times: 2 })
    proxy.inject({ kind: 'lose-response' }, { times: 1 })
    proxy.inject({ kind: 'status', status: 429, retryAfter: '1' }, { times: 1 })
    const base = Date.now() - 60_000
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        wb.publishAsync('v1/devices/wb-1/weighing', ticket(`F-${i}`, base + i), { qos: 1 })
      )
    )
    await t.forwarded()
    expect(proxy.queued()).toBe(0)
    const [r] = await db.client.query('SELECT count(net_kg) AS n FROM weighing', { epoch: 'ms' })
    expect(rows(r)[0]?.n).toBe(30)
  })
})
