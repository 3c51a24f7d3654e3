import mqtt from 'mqtt'
import { once } from 'node:events'
import { pino } from 'pino'
import { describe, expect, it, onTestFinished } from 'vitest'
import WebSocket from 'ws'
import { buildApp } from '../../dashboard-api/app.ts'
import { inProcessFacts } from '../../dashboard-api/factSource.ts'
import { createModel } from '../../dashboard-api/model/model.ts'
import { createRegistryStore } from '../../registry/store.ts'
import { rows } from '../../influx/client.ts'
import { nextEvent, nextMessage } from '../harness/mqtt.ts'
import { withSystem, type TestSystem } from '../harness/system.ts'
import { ticket } from '../fixtures/messages.ts'

// The spine on real parts: mqtt.js → Aedes → ingest → real InfluxDB, and back out through the
// errors topic, the facts namespace and the dashboard websocket.

const nowIso = (offsetMs = 0): string => new Date(Date.now() + offsetMs).toISOString()

async function select(t: TestSystem, q: string): Promise<Record<string, unknown>[]> {
  await t.forwarded() // acknowledged means durable in the spool; InfluxDB follows
  const [result] = await t.db.client.query(q, { epoch: 'ms' })
  return rows(result)
}

describe('device → broker → InfluxDB', () => {
  it('stores a valid message of each kind with the right tags, fields and time', async () => {
    const t = await withSystem()
    const ts = Date.now() - 120_000
    const wb = await t.device('wb-1')
    await wb.publishAsync('v1/devices/wb-1/weighing', JSON.stringify(ticket('T-1', { ts, seq: 7 })), { qos: 1 })
    await wb.publishAsync(
      'v1/devices/wb-1/status',
      JSON.stringify({ ts, batteryPct: 90, firmware: 'fw-1', uptimeS: 10 }),
      { qos: 1 }
    )
    const fill = await t.device('fill-1')
    await fill.publishAsync(
      'v1/devices/fill-1/fill',
      JSON.stringify([
        { ts, seq: 1, fillPct: 40 },
        { ts: ts + 1000, seq: 2, fillPct: 41.5 }
      ]),
      { qos: 1 }
    )
    const gps = await t.device('gps-1')
    await gps.publishAsync(
      'v1/devices/gps-1/position',
      JSON.stringify({ ts: new Date(ts).toISOString(), lat: 31.57, lon: 120.3, speedKmh: 31.5, ignition: true }),
      { qos: 1 }
    )

    const [w] = await select(t, 'SELECT * FROM weighing GROUP BY *')
    expect(w).toMatchObject({
      time: ts,
      device: 'wb-1',
      site: 'ts-1',
      site_type: 'transfer',
      district: '梁溪',
      direction: 'in',
      stream: 'residual',
      ticket_id: 'T-1',
      gross_kg: 18240,
      tare_kg: 10120,
      net_kg: 8120,
      plate: '苏B12345',
      seq: 7
    })
    expect(await select(t, 'SELECT * FROM device_status GROUP BY *')).toMatchObject([
      { time: ts, device: 'wb-1', device_type: 'weighbridge', battery_pct: 90, firmware: 'fw-1', uptime_s: 10 }
    ])
    expect(await select(t, 'SELECT fill_pct, seq FROM fill GROUP BY bin, device, stream, district')).toMatchObject([
      { time: ts, fill_pct: 40, seq: 1, bin: 'bin-1', device: 'fill-1', stream: 'kitchen', district: '梁溪' },
      { time: ts + 1000, fill_pct: 41.5, seq: 2 }
    ])
    expect(await select(t, 'SELECT * FROM position GROUP BY *')).toMatchObject([
      {
        time: ts,
        device: 'gps-1',
        vehicle: 'veh-1',
        vehicle_type: 'compactor',
        lat: 31.57,
        lon: 120.3,
        speed_kmh: 31.5,
        ignition: true
      }
    ])
  })

  it('sends PUBACK only once the message is durable in the spool, and forwards it to InfluxDB', async () => {
    const t = await withSystem()
    const wb = await t.device('wb-1')
    const spool = t.system.store.spool
    for (let i = 0; i < 20; i++) {
      await wb.publishAsync('v1/devices/wb-1/weighing', JSON.stringify(ticket(`ACK-${i}`)), { qos: 1 })
      // The very next thing after the ack: the spool's reader returns only fsynced records.
      const { records } = await spool.read(spool.stats().committedSeq + 1, { maxRecords: 10_000 })
      const durable =
        records.some((r) => r.data.toString().includes(`ticket_id="ACK-${i}"`)) ||
        (await select(t, `SELECT count(net_kg) FROM weighing WHERE ticket_id = 'ACK-${i}'`))[0]?.count === 1
      expect(durable, `ticket ACK-${i} not durable right after its PUBACK`).toBe(true)
    }
    expect(await select(t, 'SELECT count(net_kg) FROM weighing WHERE ticket_id =~ /^ACK-/')).toMatchObject([
      { count: 20 }
    ])
  })

  it('keeps one point when a message is sent again, even from a new connection', async () => {
    const t = await withSystem()
    const body = JSON.stringify(ticket('DUP-1', { seq: 3 }))
    const a = await t.device('wb-1')
    await a.publishAsync('v1/devices/wb-1/weighing', body, { qos: 1 })
    await a.publishAsync('v1/devices/wb-1/weighing', body, { qos: 1 })
    await a.endAsync()
    const b = await t.device('wb-1')
    await b.publishAsync('v1/devices/wb-1/weighing', body, { qos: 1, dup: true })
    expect(await select(t, 'SELECT count(net_kg), sum(net_kg) FROM weighing')).toMatchObject([{ count: 1, sum: 8120 }])
  })

  it('rejects an invalid message: stored as a rejection, reported on the errors topic, acknowledged', async () => {
    const t = await withSystem()
    const wb = await t.device('wb-1')
    await wb.subscribeAsync('v1/devices/wb-1/errors', { qos: 1 })
    const notice = nextMessage(wb)
    // Resolves: the bad message is acknowledged.
    await wb.publishAsync('v1/devices/wb-1/weighing', JSON.stringify(ticket('BAD-1', { seq: 5, netKg: 1 })), { qos: 1 })
    const [topic, payload] = await notice
    expect(topic).toBe('v1/devices/wb-1/errors')
    expect(JSON.parse(payload.toString())).toMatchObject({
      v: 1,
      code: 'INGEST_E_SCHEMA',
      topic: 'v1/devices/wb-1/weighing',
      seq: 5,
      ticketId: 'BAD-1',
      issues: [{ path: 'netKg' }]
    })
    expect(await select(t, 'SELECT count(net_kg) FROM weighing')).toEqual([])
    const [r] = await select(t, 'SELECT * FROM rejection GROUP BY *')
    expect(r).toMatchObject({
      device: 'wb-1',
      code: 'INGEST_E_SCHEMA',
      kind: 'weighing',
      topic: 'v1/devices/wb-1/weighing',
      seq: 5
    })
    expect(String(r?.error)).toContain('netKg')
    expect(String(r?.excerpt)).toContain('BAD-1')
  })

  it('rejects a too-large payload with a notice, and closes the connection on a huge packet', async () => {
    const t = await withSystem({ env: { QINGYUN_MAX_PAYLOAD_BYTES: '4096' } })
    const wb = await t.device('wb-1')
    await wb.subscribeAsync('v1/devices/wb-1/errors', { qos: 1 })
    const notice = nextMessage(wb)
    await wb.publishAsync(
      'v1/devices/wb-1/status',
      JSON.stringify({ ts: nowIso(), firmware: 'x'.repeat(60), pad: 'y'.repeat(5000) }),
      { qos: 1 }
    )
    expect(JSON.parse((await notice)[1].toString())).toMatchObject({ code: 'INGEST_E_TOO_LARGE' })
    // 4 × payload limit + 64 KiB is the packet cap: far above it, the broker hangs up.
    const closed = nextEvent(wb, 'close')
    wb.publish('v1/devices/wb-1/status', Buffer.alloc(200_000, 0x20), { qos: 1 })
    await closed
    expect(t.system.broker.stats().oversizeDisconnects).toBe(1)
    expect(await select(t, 'SELECT count(*) FROM device_status')).toEqual([])
  })

  it('denies a foreign topic and stores nothing', async () => {
    const t = await withSystem()
    const wb = await t.device('wb-1')
    const closed = nextEvent(wb, 'close')
    wb.publish('v1/devices/wb-2/weighing', JSON.stringify(ticket('FOREIGN-1')), { qos: 1 })
    await closed
    const fill = await t.device('fill-1')
    const closed2 = nextEvent(fill, 'close')
    fill.publish('v1/devices/fill-1/weighing', JSON.stringify(ticket('WRONG-KIND')), { qos: 1 })
    await closed2
    expect(t.system.broker.stats().deniedPublishes).toBe(2)
    expect(await select(t, 'SELECT count(net_kg) FROM weighing')).toEqual([])
    expect(await select(t, 'SELECT count(error) FROM rejection')).toEqual([])
  })

  it('refuses a bad token, an unknown device and no credentials', async () => {
    const t = await withSystem()
    const attempt = (opts: mqtt.IClientOptions) =>
      mqtt.connectAsync(t.mqttUrl, { reconnectPeriod: 0, connectTimeout: 5000, ...opts })
    await expect(attempt({ username: 'wb-1', password: 'qyd_wrong' })).rejects.toMatchObject({ code: 4 })
    await expect(attempt({ username: 'nobody', password: t.tokens['wb-1'] })).rejects.toMatchObject({ code: 4 })
    await expect(attempt({})).rejects.toMatchObject({ code: 4 })
    expect(t.system.broker.stats().authFailures).toBe(3)
  })

  it('lets a device subscribe only to its own errors topic', async () => {
    const t = await withSystem()
    const wb = await t.device('wb-1')
    // mqtt.js rejects when any filter gets 0x80; the SUBACK is on the error.
    const err = (await wb
      .subscribeAsync(['v1/devices/wb-1/errors', 'v1/devices/wb-2/errors', 'v1/devices/#', '$qingyun/#', '$SYS/#'], {
        qos: 1
      })
      .catch((e: unknown) => e)) as { packet?: { granted: number[] } }
    expect(err.packet?.granted).toEqual([1, 128, 128, 128, 128])
    // The connection stays up and the allowed subscription works.
    expect(wb.connected).toBe(true)
  })

  it('serves MQTT over WebSocket', async () => {
    const t = await withSystem()
    const c = await mqtt.connectAsync(t.wsUrl, { username: 'gps-2', password: t.tokens['gps-2'], reconnectPeriod: 0 })
    await c.publishAsync(
      'v1/devices/gps-2/position',
      JSON.stringify({ ts: Date.now(), lat: 31.5, lon: 120.2, speedKmh: 0 }),
      { qos: 1 }
    )
    await c.endAsync()
    expect(await select(t, 'SELECT count(lat) FROM position')).toMatchObject([{ count: 1 }])
  })
})

describe('committed facts and the dashboard', () => {
  it("serves each site's tonnes for today from committed weighings, counting a resend once", async () => {
    const t = await withSystem()
    const token = await t.token('viewer')
    const wb = await t.device('wb-1')
    const ws0 = JSON.stringify(ticket('WS-0'))
    await wb.publishAsync('v1/devices/wb-1/weighing', ws0, { qos: 1 })
    await wb.publishAsync(
      'v1/devices/wb-1/weighing',
      JSON.stringify(ticket('WS-1', { direction: 'out', grossKg: 25_000, tareKg: 15_000, netKg: 10_000 })),
      { qos: 1 }
    )
    // A retransmission does not move the numbers.
    await wb.publishAsync('v1/devices/wb-1/weighing', ws0, { qos: 1 })
    const sc = await t.device('wb-2')
    await sc.publishAsync(
      'v1/devices/wb-2/weighing',
      JSON.stringify(ticket('WS-2', { stream: 'recyclable', material: 'paper' })),
      { qos: 1 }
    )
    // The model folds facts as the broker publishes them, right after the PUBACK.
    await expect
      .poll(async () => (await t.api<{ inT: number; outT: number }>('/api/v1/sites/ts-1/balance', token)).body)
      .toMatchObject({ inT: 8.12, outT: 10 })
    expect((await t.api('/api/v1/sites/sc-1/balance', token)).body).toMatchObject({ inT: 8.12, outT: 0 })
    expect((await t.api('/api/v1/sites/ts-1/balance', 'qyo_wrong')).status).toBe(401)
    // The tickets behind the numbers, newest first, each once.
    await t.forwarded() // the tickets list is read from InfluxDB, which follows the acks
    const tickets = (
      await t.api<{ ticketId: string; direction: string; netKg: number; plate: string }[]>(
        '/api/v1/sites/ts-1/tickets',
        token
      )
    ).body
    expect(tickets.map((k) => k.ticketId).sort()).toEqual(['WS-0', 'WS-1'])
    expect(tickets.find((k) => k.ticketId === 'WS-1')).toMatchObject({
      direction: 'out',
      netKg: 10_000,
      plate: '苏B12345'
    })
    expect((await t.api('/api/v1/sites/nope/tickets', token)).status).toBe(404)
    expect((await t.api('/api/v1/zones', token)).body).toEqual([])
  })

  it('answers /healthz and /readyz', async () => {
    const t = await withSystem()
    expect(await (await fetch(`${t.httpUrl}/healthz`)).json()).toEqual({ status: 'ok' })
    const ready = await fetch(`${t.httpUrl}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      checks: { influx: true, broker: true, model: true, spool: true },
      details: { spool: { full: false, segments: 1 }, forwarder: { lagRecords: 0 }, puback: { count: 0 } }
    })
  })

  it('listens while today is rebuilt: /readyz not ready, the API 503 with Retry-After, the websocket 1013', async () => {
    const t = await withSystem()
    const log = pino({ level: 'silent' })
    const registry = await createRegistryStore({ path: t.registryPath, log })
    const model = createModel({
      facts: inProcessFacts(t.system.broker),
      stored: () => t.forwarded(),
      influx: t.db.client,
      registry,
      tz: 'Asia/Shanghai',
      now: Date.now,
      log
    })
    const app = await buildApp({
      model,
      authenticator: t.system.users,
      registry,
      registryPath: t.registryPath,
      readiness: { influx: () => t.db.client.ping(), broker: () => true },
      tz: 'Asia/Shanghai',
      log
    })
    onTestFinished(async () => {
      await app.close()
      await model.close()
      await registry.close()
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
    const token = await t.token('viewer')

    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    const notReady = await fetch(`${base}/readyz`)
    expect(notReady.status).toBe(503)
    expect(await notReady.json()).toMatchObject({ status: 'not-ready', checks: { model: false } })
    const early = await fetch(`${base}/api/v1/city`, { headers: { authorization: `Bearer ${token}` } })
    expect(early.status).toBe(503)
    expect(early.headers.get('retry-after')).toBe('5')
    expect(await early.json()).toMatchObject({ error: { code: 'API_E_UNAVAILABLE' } })
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/v1/ws`)
    const [code] = (await once(ws, 'close')) as [number]
    expect(code).toBe(1013)

    await model.start()
    expect((await fetch(`${base}/readyz`)).status).toBe(200)
    expect((await fetch(`${base}/api/v1/city`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200)
  })

  it('delivers facts to a service account over MQTT, and only to it', async () => {
    const t = await withSystem()
    const svc = await mqtt.connectAsync(t.mqttUrl, {
      username: 'svc-dash',
      password: t.tokens['svc-dash'],
      reconnectPeriod: 0
    })
    expect((await svc.subscribeAsync('$qingyun/v1/facts/#', { qos: 1 })).map((g) => g.qos)).toEqual([1])
    const got = nextMessage(svc)
    const wb = await t.device('wb-1')
    await wb.publishAsync('v1/devices/wb-1/weighing', JSON.stringify(ticket('F-1')), { qos: 1 })
    const [topic, payload] = await got
    expect(topic).toBe('$qingyun/v1/facts/wb-1')
    expect(JSON.parse(payload.toString())).toMatchObject({
      v: 1,
      facts: [{ kind: 'weighing', deviceId: 'wb-1', siteId: 'ts-1', ticketId: 'F-1', netKg: 8120 }]
    })
    await svc.endAsync()
  })
})
