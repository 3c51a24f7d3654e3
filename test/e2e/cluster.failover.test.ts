import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { pino } from 'pino'
import { expect, inject, it, onTestFinished } from 'vitest'
import type { SiteBalance } from '../../contracts/ops.ts'
import { createUserStore } from '../../dashboard-api/auth/users.ts'
import { rows } from '../../influx/client.ts'
import { prepareNode } from '../harness/crash.ts'
import { createTestDatabase } from '../harness/influxdb.ts'
import { until } from '../harness/node.ts'
import { startTestRedis } from '../harness/redis.ts'

// Cluster mode on real processes: two `qingyun start` nodes on one redis-server and one InfluxDB
// database. Node A is killed with SIGKILL while a device publishes through it; the device (mqtt.js
// with both nodes in its server list) reconnects to B, finds its persistent session there and
// resends what A never acknowledged; the alert lease moves to B. Every acknowledged ticket must be
// in InfluxDB exactly once (A, restarted, forwards what its spool still held), and B's live
// numbers must equal the stored ones.

const log = pino({ level: 'silent' })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

it('kill -9 of node A: the device resumes its session on B, nothing acked lost or doubled, lease moves', async () => {
  const redis = await startTestRedis()
  onTestFinished(() => redis.stop())
  const db = await createTestDatabase('cluster')
  onTestFinished(() => db.drop())
  const common = { influxUrl: inject('influxUrl'), influxAuth: inject('influxAuth'), db: db.db }
  const leaseTtlMs = 3000
  const env = { QINGYUN_REDIS_URL: redis.url, QINGYUN_ALERT_LEASE_TTL_MS: String(leaseTtlMs) }
  const usersDir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-users-'))
  onTestFinished(() => rm(usersDir, { recursive: true, force: true }))
  const usersPath = path.join(usersDir, 'users.json')
  const users = await createUserStore({ path: usersPath, log, watch: false })
  const viewer = await users.add('wall', 'viewer')
  await users.close()
  const a = await prepareNode({ ...common, devices: 1, env: { ...env, QINGYUN_USERS: usersPath } })
  onTestFinished(() => a.dispose())
  const shared = { QINGYUN_REGISTRY: path.join(a.dataDir, 'registry.json'), QINGYUN_USERS: usersPath }
  const b = await prepareNode({ ...common, devices: 0, env: { ...env, ...shared } })
  onTestFinished(() => b.dispose())
  await a.start()
  const leaseKey = `qingyun:${db.db}:alerts:lease`
  await until('node A holds the alert lease', () => redis.cli('GET', leaseKey) !== '')
  const leaseOfA = redis.cli('GET', leaseKey)
  await b.start()

  const connacks: boolean[] = []
  const device: MqttClient = mqtt.connect({
    servers: [
      { host: '127.0.0.1', port: a.mqttPort },
      { host: '127.0.0.1', port: b.mqttPort }
    ],
    username: 'wb-c0',
    password: a.tokens[0]!,
    clientId: 'wb-c0-failover',
    clean: false,
    reconnectPeriod: 200,
    connectTimeout: 5000
  })
  onTestFinished(() => {
    device.end(true)
  })
  device.on('error', () => undefined)
  device.on('connect', (connack) => connacks.push(connack.sessionPresent))
  await until('the device is connected to A', () => connacks.length === 1)
  await device.subscribeAsync('v1/devices/wb-c0/errors', { qos: 1 })

  const t0 = Date.now()
  const sent = new Set<string>()
  const acked = new Set<string>()
  let next = 0
  let stopping = false
  const lane = async (): Promise<void> => {
    while (!stopping) {
      const id = `F-${next++}`
      const body = { ts: t0 - 60_000 + next, ticketId: id, direction: 'in', stream: 'residual' }
      const weights = { grossKg: 12000, tareKg: 8000, netKg: 4000, plate: '苏B12345' }
      sent.add(id)
      // mqtt.js keeps an unacknowledged QoS 1 publish and resends it after a reconnect.
      await device
        .publishAsync('v1/devices/wb-c0/weighing', JSON.stringify({ ...body, ...weights }), { qos: 1 })
        .then(() => void acked.add(id))
    }
  }
  const lanes = [lane(), lane(), lane(), lane()]
  await until('100 tickets acknowledged by A', () => acked.size >= 100)
  await a.kill('SIGKILL')
  const killedAt = Date.now()
  const ackedByA = acked.size
  await until('the device reconnected (to B)', () => connacks.length >= 2, 30_000)
  // The persistent session is in Redis: B knows it [MQTT-3.2.2-2].
  expect(connacks[1]).toBe(true)
  await until('B acknowledges new tickets', () => acked.size >= ackedByA + 100, 30_000)
  await until(
    'the alert lease moved to B',
    () => {
      const v = redis.cli('GET', leaseKey)
      return v !== '' && v !== leaseOfA
    },
    30_000
  )
  console.log(`alert lease moved ${Date.now() - killedAt} ms after kill -9 (TTL ${leaseTtlMs} ms)`)
  stopping = true
  await Promise.all(lanes)

  // A comes back on its data dir and forwards what its spool held when it was killed.
  await a.start()
  let stored = new Map<string, number>()
  for (let i = 0; i < 120; i++) {
    const [all] = await db.client.query(`SELECT ticket_id FROM weighing WHERE ticket_id =~ /^F-/`, { epoch: 'ms' })
    stored = new Map()
    for (const r of rows(all)) stored.set(String(r.ticket_id), (stored.get(String(r.ticket_id)) ?? 0) + 1)
    if ([...acked].every((id) => stored.has(id))) break
    await sleep(500)
  }
  expect(
    [...acked].filter((id) => !stored.has(id)),
    'acknowledged but not stored'
  ).toEqual([])
  expect(
    [...stored.values()].filter((n) => n > 1),
    'stored twice'
  ).toEqual([])
  expect(
    [...stored.keys()].filter((id) => !sent.has(id)),
    'never sent'
  ).toEqual([])

  const balance = async () =>
    (await (
      await fetch(`http://127.0.0.1:${b.httpPort}/api/v1/sites/ts-1/balance`, {
        headers: { authorization: `Bearer ${viewer}` }
      })
    ).json()) as SiteBalance
  const live = await balance()
  expect(live.ticketsIn, "B's live count of tickets equals the stored count").toBe(stored.size)
}, 180_000)
