import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { describe, expect, it, onTestFinished } from 'vitest'
import { devicesCommand } from '../../cli/commands/devices.ts'
import { buildApp } from '../../dashboard-api/app.ts'
import { mqttFacts } from '../../dashboard-api/factSource.ts'
import { createModel } from '../../dashboard-api/model/model.ts'
import { createRegistryStore } from '../../registry/store.ts'
import { rows } from '../../influx/client.ts'
import { nextEvent, nextMessage } from '../harness/mqtt.ts'
import { withSystem, type TestSystem } from '../harness/system.ts'
import { captureStreams } from '../fixtures/streams.ts'

const run = promisify(execFile)

const count = async (t: TestSystem, q: string): Promise<number> => {
  await t.forwarded() // acknowledged means durable in the spool; InfluxDB follows
  const [r] = await t.db.client.query(q)
  return Number(rows(r)[0]?.n ?? 0)
}

const status = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ ts: Date.now() - 1000, batteryPct: 50, ...extra })

describe('a conformant MQTT 3.1.1 broker inside the ACL', () => {
  it('acknowledges QoS 2 with PUBREC/PUBCOMP after storage, once', async () => {
    const t = await withSystem()
    const wb = await t.device('wb-1')
    const body = status({ seq: 1 })
    await wb.publishAsync('v1/devices/wb-1/status', body, { qos: 2 })
    await wb.publishAsync('v1/devices/wb-1/status', body, { qos: 2 })
    expect(await count(t, 'SELECT count(battery_pct) AS n FROM device_status')).toBe(1)
  })

  it('keeps retained messages for later subscribers', async () => {
    const t = await withSystem()
    const wb = await t.device('wb-1')
    await wb.publishAsync('v1/devices/wb-1/status', status({ firmware: 'retained-fw' }), { qos: 1, retain: true })
    const svc = await mqtt.connectAsync(t.mqttUrl, {
      username: 'svc-dash',
      password: t.tokens['svc-dash'],
      reconnectPeriod: 0
    })
    onTestFinished(() => svc.endAsync(true))
    const got = nextEvent<[string, Buffer, { retain: boolean }]>(svc, 'message')
    await svc.subscribeAsync('v1/devices/+/status', { qos: 1 })
    const [topic, payload, packet] = await got
    expect(topic).toBe('v1/devices/wb-1/status')
    expect(packet.retain).toBe(true)
    expect(JSON.parse(payload.toString()).firmware).toBe('retained-fw')
  })

  it("publishes a device's will through ingest when it drops off", async () => {
    const t = await withSystem()
    const gps = await t.device('gps-1', {
      will: {
        topic: 'v1/devices/gps-1/status',
        payload: Buffer.from(status({ firmware: 'will' })),
        qos: 1,
        retain: false
      }
    })
    const svc = await mqtt.connectAsync(t.mqttUrl, {
      username: 'svc-dash',
      password: t.tokens['svc-dash'],
      reconnectPeriod: 0
    })
    onTestFinished(() => svc.endAsync(true))
    await svc.subscribeAsync('$qingyun/v1/facts/gps-1', { qos: 1 })
    const fact = nextMessage(svc)
    gps.stream.destroy()
    expect(JSON.parse((await fact)[1].toString())).toMatchObject({
      facts: [{ kind: 'status', deviceId: 'gps-1', firmware: 'will' }]
    })
    expect(await count(t, "SELECT count(battery_pct) AS n FROM device_status WHERE device = 'gps-1'")).toBe(1)
  })

  it('delivers QoS 1 messages queued for a persistent session after it reconnects', async () => {
    const t = await withSystem()
    const opts = {
      username: 'svc-dash',
      password: t.tokens['svc-dash'],
      clientId: 'persistent',
      clean: false,
      reconnectPeriod: 0
    }
    const first = await mqtt.connectAsync(t.mqttUrl, opts)
    await first.subscribeAsync('$qingyun/v1/facts/#', { qos: 1 })
    await first.endAsync()
    const wb = await t.device('wb-1')
    await wb.publishAsync('v1/devices/wb-1/status', status({ firmware: 'while-away' }), { qos: 1 })
    const again = mqtt.connect(t.mqttUrl, opts)
    onTestFinished(() => again.endAsync(true))
    const [connack] = await nextEvent<[{ sessionPresent: boolean }]>(again, 'connect')
    expect(connack.sessionPresent).toBe(true)
    const [, payload] = await nextMessage(again)
    expect(JSON.parse(payload.toString())).toMatchObject({ facts: [{ kind: 'status', firmware: 'while-away' }] })
  })

  it("scopes client ids by device, so one device cannot take over another one's session", async () => {
    const t = await withSystem()
    const victim = await t.device('wb-2', { clientId: 'shared-id' })
    await t.device('wb-1', { clientId: 'shared-id' })
    await new Promise((r) => setTimeout(r, 200))
    expect(victim.connected).toBe(true)
  })

  it('refuses a client id over the configured length with CONNACK 2', async () => {
    const t = await withSystem({ env: { QINGYUN_MAX_CLIENT_ID_LENGTH: '16' } })
    await expect(
      mqtt.connectAsync(t.mqttUrl, {
        username: 'wb-1',
        password: t.tokens['wb-1'],
        clientId: 'x'.repeat(17),
        reconnectPeriod: 0
      })
    ).rejects.toMatchObject({ code: 2 })
  })

  it('works with a third-party client (mosquitto_pub)', async () => {
    const t = await withSystem()
    const port = String(t.system.broker.mqttPort)
    const body = JSON.stringify({ ts: new Date(Date.now() - 5000).toISOString(), fillPct: 77.5, batteryPct: 61 })
    await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-u',
      'fill-1',
      '-P',
      t.tokens['fill-1']!,
      '-q',
      '1',
      '-t',
      'v1/devices/fill-1/fill',
      '-m',
      body
    ]).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? new Error('mosquitto_pub not found: apt-get install -y mosquitto-clients') : err
    })
    expect(await count(t, 'SELECT count(fill_pct) AS n FROM fill')).toBe(1)
    await expect(
      run('mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        port,
        '-u',
        'fill-1',
        '-P',
        'wrong',
        '-q',
        '1',
        '-t',
        'v1/devices/fill-1/fill',
        '-m',
        body
      ])
    ).rejects.toThrow()
  })
})

describe('transport and limits', () => {
  it('serves MQTTS and WSS when a certificate is configured', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-tls-'))
    onTestFinished(() => rm(dir, { recursive: true, force: true }))
    const cert = path.join(dir, 'cert.pem')
    const key = path.join(dir, 'key.pem')
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1'
    ])
    const t = await withSystem({ env: { QINGYUN_MQTT_TLS_CERT: cert, QINGYUN_MQTT_TLS_KEY: key } })
    const ca = await readFile(cert)
    const port = t.system.broker.mqttPort
    const c = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
      username: 'wb-1',
      password: t.tokens['wb-1'],
      reconnectPeriod: 0,
      ca
    })
    await c.publishAsync('v1/devices/wb-1/status', status({ firmware: 'tls' }), { qos: 1 })
    await c.endAsync()
    const w = await mqtt.connectAsync(`wss://127.0.0.1:${t.system.broker.wsPort}`, {
      username: 'fill-1',
      password: t.tokens['fill-1'],
      reconnectPeriod: 0,
      ca
    })
    await w.publishAsync('v1/devices/fill-1/status', status({ firmware: 'wss' }), { qos: 1 })
    await w.endAsync()
    expect(await count(t, 'SELECT count(firmware) AS n FROM device_status')).toBe(2)
  })

  it('closes the connection on a topic deeper than the limit and on a $SYS publish, storing nothing', async () => {
    const t = await withSystem({ env: { QINGYUN_MAX_TOPIC_LEVELS: '4' } })
    const wb = await t.device('wb-1')
    const closed = nextEvent(wb, 'close')
    wb.publish('v1/devices/wb-1/status/a/b', status(), { qos: 1 })
    await closed
    const again = await t.device('wb-1')
    const closed2 = nextEvent(again, 'close')
    again.publish('$SYS/broker/fake', status(), { qos: 1 })
    await closed2
    expect(await count(t, 'SELECT count(battery_pct) AS n FROM device_status')).toBe(0)
  })
})

describe('registry changes on a running broker', () => {
  it('drops a revoked device at once and lets a newly added one in', async () => {
    const t = await withSystem()
    const wb = await t.device('wb-1')
    const out = captureStreams()
    const closed = nextEvent(wb, 'close')
    expect(
      await devicesCommand(['revoke', 'wb-1'], { registryPath: t.registryPath, stdout: out.stdout, stderr: out.stderr })
    ).toBe(0)
    await closed
    await expect(
      mqtt.connectAsync(t.mqttUrl, { username: 'wb-1', password: t.tokens['wb-1'], reconnectPeriod: 0 })
    ).rejects.toMatchObject({ code: 4 })

    const added = captureStreams()
    expect(
      await devicesCommand(['add', 'wb-3', '--type', 'weighbridge', '--site', 'sc-1'], {
        registryPath: t.registryPath,
        stdout: added.stdout,
        stderr: added.stderr
      })
    ).toBe(0)
    const token = added.out().trim().split('\n').at(-1)!
    let client: mqtt.MqttClient | undefined
    for (let i = 0; i < 50 && !client; i++) {
      client = await mqtt
        .connectAsync(t.mqttUrl, { username: 'wb-3', password: token, reconnectPeriod: 0 })
        .catch(async () => {
          await new Promise((r) => setTimeout(r, 100))
          return undefined
        })
    }
    expect(client, 'the new device could not connect within 5 s').toBeDefined()
    await client!.publishAsync('v1/devices/wb-3/status', status(), { qos: 1 })
    await client!.endAsync()
    expect(await count(t, "SELECT count(battery_pct) AS n FROM device_status WHERE device = 'wb-3'")).toBe(1)
  })
})

describe('dashboard-api in another process', () => {
  it('rebuilds today from InfluxDB, then follows facts over MQTT as a service account', async () => {
    const t = await withSystem()
    const wb = await t.device('wb-1')
    const ticket = (id: string, netKg: number) =>
      JSON.stringify({
        ts: Date.now() - 30_000,
        ticketId: id,
        direction: 'in',
        stream: 'residual',
        grossKg: netKg + 10_000,
        tareKg: 10_000,
        netKg,
        plate: '苏B12345'
      })
    await wb.publishAsync('v1/devices/wb-1/weighing', ticket('R-1', 5000), { qos: 1 })

    // A second dashboard-api, as another process would build it: facts over MQTT as a
    // service account, state rebuilt from InfluxDB.
    const log = pino({ level: 'silent' })
    const facts = mqttFacts({ url: t.mqttUrl, serviceId: 'svc-dash', token: t.tokens['svc-dash']!, log })
    const registry = await createRegistryStore({ path: t.registryPath, log })
    const model = createModel({
      facts,
      stored: () => t.forwarded(),
      influx: t.db.client,
      registry,
      tz: 'Asia/Shanghai',
      now: Date.now,
      log
    })
    await model.start()
    const app = await buildApp({
      model,
      authenticator: t.system.users,
      registry,
      registryPath: t.registryPath,
      readiness: { influx: () => t.db.client.ping(), broker: () => facts.connected() },
      tz: 'Asia/Shanghai',
      log
    })
    onTestFinished(async () => {
      await app.close()
      await model.close()
      await registry.close()
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = app.server.address() as { port: number }
    const token = await t.token('viewer')
    const balance = async () =>
      (await (
        await fetch(`http://127.0.0.1:${port}/api/v1/sites/ts-1/balance`, {
          headers: { authorization: `Bearer ${token}` }
        })
      ).json()) as { inT: number }
    expect(await balance()).toMatchObject({ inT: 5 })
    await wb.publishAsync('v1/devices/wb-1/weighing', ticket('R-2', 2500), { qos: 1 })
    await expect.poll(balance).toMatchObject({ inT: 7.5 })
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200)
  })
})
