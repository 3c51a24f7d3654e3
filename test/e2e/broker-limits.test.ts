import mqtt from 'mqtt'
import { describe, expect, it, onTestFinished } from 'vitest'
import mqttPacket, { type Packet } from 'mqtt-packet'
import { connectPacket, rawConnect, rawSession } from '../harness/rawMqtt.ts'
import { nextEvent } from '../harness/mqtt.ts'
import { withSystem } from '../harness/system.ts'

// Per-client resources are bounded (README "Limits and protections"): what a client that
// exceeds a bound gets is part of the contract, so each bound is exercised here.

const bad = JSON.stringify({ ts: Date.now(), batteryPct: 'not a number' })
const good = (): string => JSON.stringify({ ts: Date.now() - 1000, batteryPct: 50 })

describe('protocol corners', () => {
  it('answers an MQTT 5 CONNECT with CONNACK 0x01, unacceptable protocol version [MQTT-3.1.2-2]', async () => {
    const t = await withSystem()
    const { returnCode } = await rawSession(t.system.broker.mqttPort, 'wb-1', t.tokens['wb-1'], { protocolVersion: 5 })
    expect(returnCode).toBe(1)
  })

  it('refuses an empty client id with CleanSession 0 with CONNACK 0x02 [MQTT-3.1.3-8], accepts it with CleanSession 1', async () => {
    const t = await withSystem()
    // mqtt-packet will not generate this CONNECT; clear the CleanSession flag by hand.
    const frame = mqttPacket.generate(
      connectPacket('wb-1', t.tokens['wb-1'], { clientId: '', clean: true }) as unknown as Packet
    )
    const flags = 1 + 1 + 6 + 1 // fixed header, remaining length (1 byte here), "MQTT", level
    frame[flags] = frame[flags]! & ~0x02
    const persistent = await rawConnect(t.system.broker.mqttPort)
    persistent.sendBytes(frame)
    expect(await persistent.next('connack')).toMatchObject({ returnCode: 2 })
    const clean = await rawSession(t.system.broker.mqttPort, 'wb-1', t.tokens['wb-1'], { clientId: '', clean: true })
    expect(clean.returnCode).toBe(0)
  })
})

describe('connection bounds', () => {
  it('lets an account hold at most QINGYUN_MQTT_MAX_CONNECTIONS_PER_USERNAME connections (CONNACK 5 beyond)', async () => {
    const t = await withSystem({ env: { QINGYUN_MQTT_MAX_CONNECTIONS_PER_USERNAME: '2' } })
    const a = await t.device('wb-1', { clientId: 'a' })
    await t.device('wb-1', { clientId: 'b' })
    await expect(
      mqtt.connectAsync(t.mqttUrl, { username: 'wb-1', password: t.tokens['wb-1'], clientId: 'c', reconnectPeriod: 0 })
    ).rejects.toMatchObject({ code: 5 })
    // Taking over its own session id replaces a connection, so it is let in.
    await t.device('wb-1', { clientId: 'b' })
    // Other accounts are not affected; a freed slot is usable again.
    await t.device('wb-2')
    await a.endAsync()
    await expect
      .poll(async () => (await rawSession(t.system.broker.mqttPort, 'wb-1', t.tokens['wb-1'])).returnCode)
      .toBe(0)
    expect(t.system.broker.stats().connectionsRefusedByUsername).toBeGreaterThanOrEqual(1)
  })

  it('refuses connections from one address over QINGYUN_MQTT_MAX_CONNECTIONS_PER_ADDRESS', async () => {
    const t = await withSystem({ env: { QINGYUN_MQTT_MAX_CONNECTIONS_PER_ADDRESS: '3' } })
    const open = await Promise.all([1, 2, 3].map(() => rawConnect(t.system.broker.mqttPort)))
    const over = await rawConnect(t.system.broker.mqttPort)
    await over.closed()
    expect(t.system.broker.stats().connectionsRefusedByAddress).toBe(1)
    open[0]!.socket.destroy()
    await expect
      .poll(async () => (await rawSession(t.system.broker.mqttPort, 'wb-1', t.tokens['wb-1'])).returnCode)
      .toBe(0)
  })

  it('closes a keepalive-0 connection after QINGYUN_MQTT_IDLE_TIMEOUT_MS without a packet', async () => {
    const t = await withSystem({ env: { QINGYUN_MQTT_IDLE_TIMEOUT_MS: '500' } })
    const idle = await rawSession(t.system.broker.mqttPort, 'wb-1', t.tokens['wb-1'], { keepalive: 0 })
    expect(idle.returnCode).toBe(0)
    await idle.client.closed()
    expect(t.system.broker.stats().idleDisconnects).toBe(1)
  })
})

describe('authentication failures', () => {
  it('after QINGYUN_MQTT_AUTH_FAIL_LIMIT failures, refuses the username and the address with CONNACK 5 without checking', async () => {
    const t = await withSystem({ env: { QINGYUN_MQTT_AUTH_FAIL_LIMIT: '5' } })
    const port = t.system.broker.mqttPort
    for (let i = 0; i < 5; i++) expect((await rawSession(port, 'wb-1', 'qyd_wrong')).returnCode).toBe(4)
    for (let i = 0; i < 20; i++) expect((await rawSession(port, 'wb-1', 'qyd_wrong')).returnCode).toBe(5)
    // Throttled until the window ends, whatever the token: that is the point.
    expect((await rawSession(port, 'wb-2', t.tokens['wb-2'])).returnCode).toBe(5)
    expect(t.system.broker.stats()).toMatchObject({ authFailures: 5, authThrottled: 21 })
  })
})

describe('deliveries and notices', () => {
  it('cuts off a client that reads but never acknowledges over QINGYUN_MQTT_MAX_INFLIGHT QoS 1 deliveries', async () => {
    const t = await withSystem({ env: { QINGYUN_MQTT_MAX_INFLIGHT: '5' } })
    const { client: svc } = await rawSession(t.system.broker.mqttPort, 'svc-dash', t.tokens['svc-dash'])
    svc.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$qingyun/v1/facts/#', qos: 1 }] })
    await svc.next('suback')
    const wb = await t.device('wb-1')
    for (let i = 0; i < 10; i++) await wb.publishAsync('v1/devices/wb-1/status', good(), { qos: 1 })
    await svc.closed()
    expect(svc.received.filter((p) => p.cmd === 'publish').length).toBeLessThanOrEqual(6)
    expect(t.system.broker.stats().inflightDisconnects).toBe(1)
  })

  it('a client that acknowledges its deliveries is never cut off', async () => {
    const t = await withSystem({ env: { QINGYUN_MQTT_MAX_INFLIGHT: '2' } })
    const svc = await mqtt.connectAsync(t.mqttUrl, {
      username: 'svc-dash',
      password: t.tokens['svc-dash'],
      reconnectPeriod: 0
    })
    onTestFinished(() => svc.endAsync(true))
    await svc.subscribeAsync('$qingyun/v1/facts/#', { qos: 1 })
    let got = 0
    svc.on('message', () => got++)
    const wb = await t.device('wb-1')
    for (let i = 0; i < 20; i++) await wb.publishAsync('v1/devices/wb-1/status', good(), { qos: 1 })
    await expect.poll(() => got).toBe(20)
    expect(svc.connected).toBe(true)
  })

  it('ends a persistent session whose queue for an absent client passes the in-flight bound: it comes back to sessionPresent 0', async () => {
    const t = await withSystem({ env: { QINGYUN_MQTT_MAX_INFLIGHT: '5' } })
    const opts = {
      username: 'svc-dash',
      password: t.tokens['svc-dash'],
      clientId: 'away',
      clean: false,
      reconnectPeriod: 0
    }
    const first = await mqtt.connectAsync(t.mqttUrl, opts)
    await first.subscribeAsync('$qingyun/v1/facts/#', { qos: 1 })
    await first.endAsync()
    const wb = await t.device('wb-1')
    for (let i = 0; i < 8; i++) await wb.publishAsync('v1/devices/wb-1/status', good(), { qos: 1 })
    await expect.poll(() => t.system.broker.stats().persistentSessionsEnded).toBe(1)
    const again = mqtt.connect(t.mqttUrl, opts)
    onTestFinished(() => again.endAsync(true))
    const [connack] = await nextEvent<[{ sessionPresent: boolean }]>(again, 'connect')
    expect(connack.sessionPresent).toBe(false)
  })

  it('sends a device at most QINGYUN_NOTICE_BURST rejection notices at once, and counts the rest', async () => {
    const t = await withSystem({ env: { QINGYUN_NOTICE_BURST: '3', QINGYUN_NOTICE_RATE_PER_S: '0.001' } })
    const wb = await t.device('wb-1')
    await wb.subscribeAsync('v1/devices/wb-1/errors', { qos: 1 })
    let notices = 0
    wb.on('message', () => notices++)
    for (let i = 0; i < 8; i++) await wb.publishAsync('v1/devices/wb-1/status', bad, { qos: 1 })
    await expect.poll(() => t.system.broker.stats().noticesSuppressed).toBe(5)
    // Every rejection is still stored; only the advisory notices are limited.
    expect(t.system.ingest.stats().rejected.INGEST_E_SCHEMA).toBe(8)
    await wb.publishAsync('v1/devices/wb-1/status', good(), { qos: 1 })
    expect(notices).toBe(3)
  })
})
