import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { expect, inject, it, onTestFinished } from 'vitest'
import type { SiteBalance } from '../../contracts/ops.ts'
import { rows } from '../../influx/client.ts'
import { createUserStore } from '../../dashboard-api/auth/users.ts'
import { saveRegistry } from '../../registry/load.ts'
import { testRegistry } from '../fixtures/registry.ts'
import { ticket } from '../fixtures/messages.ts'
import { prepareNode } from '../harness/crash.ts'
import { createTestDatabase } from '../harness/influxdb.ts'
import { until } from '../harness/node.ts'
import { startTestRedis } from '../harness/redis.ts'
import { startTcpRelay } from '../harness/tcpRelay.ts'

// Cluster mode, two node processes on one redis-server and one InfluxDB. Node A makes a ticket
// durable in its spool and is killed (SIGKILL) before the ticket's facts reach Redis: node B
// never got them live. When A starts again and has stored its inherited backlog in InfluxDB,
// it says so over Redis and B reads back what it missed: B's numbers count the ticket.

it("a node killed between its spool's fsync and its publish to Redis: the other node counts the ticket once A is back", async () => {
  const redis = await startTestRedis()
  onTestFinished(() => redis.stop())
  // Node A reaches Redis through a relay that can hold its bytes on the way.
  const relay = await startTcpRelay(Number(new URL(redis.url).port))
  onTestFinished(() => relay.close())
  const db = await createTestDatabase('clusterbacklog')
  onTestFinished(() => db.drop())
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-cluster-backlog-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  const { registry, tokens } = testRegistry()
  const registryPath = path.join(dir, 'registry.json')
  await saveRegistry(registryPath, registry)
  const usersPath = path.join(dir, 'users.json')
  const users = await createUserStore({ path: usersPath, log: pino({ level: 'silent' }), watch: false })
  const viewer = await users.add('viewer', 'viewer')
  await users.close()

  const env = { QINGYUN_REGISTRY: registryPath, QINGYUN_USERS: usersPath }
  const common = { influxUrl: inject('influxUrl'), influxAuth: inject('influxAuth'), db: db.db, devices: 0 }
  const relayed = new URL(redis.url)
  relayed.port = String(relay.port)
  const a = await prepareNode({ ...common, env: { ...env, QINGYUN_REDIS_URL: relayed.toString() } })
  onTestFinished(() => a.dispose())
  const b = await prepareNode({ ...common, env: { ...env, QINGYUN_REDIS_URL: redis.url } })
  onTestFinished(() => b.dispose())
  await a.start()
  await b.start()

  const ticketsInOnB = async (): Promise<number> => {
    const res = await fetch(`http://127.0.0.1:${b.httpPort}/api/v1/sites/ts-1/balance`, {
      headers: { authorization: `Bearer ${viewer}` }
    })
    return ((await res.json()) as SiteBalance).ticketsIn
  }
  const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${a.mqttPort}`, {
    username: 'wb-1',
    password: tokens['wb-1'],
    clientId: 'wb-1',
    reconnectPeriod: 0
  })
  onTestFinished(() => void device.end(true))
  device.on('error', () => undefined)
  await device.publishAsync('v1/devices/wb-1/weighing', JSON.stringify(ticket('BK-1')), { qos: 1 })
  await until('B folds the first ticket, live over Redis', async () => (await ticketsInOnB()) === 1, 20_000)

  // A's link to Redis holds; the second ticket becomes durable in A's spool (it is then acked
  // once Redis answers: the broker's own publish waits for it); then A dies.
  relay.hold()
  const storedTickets = async (): Promise<number> => {
    const [r] = await db.client.query(`SELECT count(net_kg) AS n FROM weighing WHERE site = 'ts-1'`)
    return Number(rows(r)[0]?.n ?? 0)
  }
  device.publish('v1/devices/wb-1/weighing', JSON.stringify(ticket('BK-2')), { qos: 1 })
  // A's forwarder stores it in InfluxDB (not held): it was durable in A's spool.
  await until('A stores the second ticket', async () => (await storedTickets()) === 2, 20_000)
  await until("A's facts are held on their way to Redis", () => relay.heldBytes() > 0, 20_000)
  await a.kill('SIGKILL')
  await until("the relay saw A's connections close (their held bytes are gone)", () => relay.clients() === 0)
  relay.release()
  await new Promise((r) => setTimeout(r, 1000))
  expect(await ticketsInOnB()).toBe(1) // B never saw the second ticket

  // A again, on its data dir: it forwards its backlog, then tells the others.
  await a.start()
  await until('B counts the ticket A stored after its restart', async () => (await ticketsInOnB()) === 2, 40_000)
}, 120_000)
