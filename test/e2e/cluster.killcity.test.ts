import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { expect, inject, it, onTestFinished } from 'vitest'
import { createUserStore } from '../../dashboard-api/auth/users.ts'
import { subsetRegistry } from '../../devices-sim/city/subset.ts'
import { startCity } from '../../devices-sim/run/city.ts'
import { FaultOptions } from '../../devices-sim/run/faults.ts'
import { verifyInflux } from '../../devices-sim/verify/influx.ts'
import { verifyRest } from '../../devices-sim/verify/rest.ts'
import { addDays, localDate } from '../../lib/time.ts'
import { loadRegistry, saveRegistry } from '../../registry/load.ts'
import { SAMPLE_PATH } from '../../registry/sample/generate.ts'
import { issueDeviceTokens } from '../../registry/seed.ts'
import { prepareNode, type NodeProcess } from '../harness/crash.ts'
import { createTestDatabase } from '../harness/influxdb.ts'
import { until } from '../harness/node.ts'
import { startTestRedis } from '../harness/redis.ts'

// A city day spread over two cluster nodes (real processes on one redis-server and one
// InfluxDB database), with node A killed (SIGKILL) midway. The devices reach the nodes through
// a TCP balancer, as they would through HAProxy: each new connection goes to the first node
// that accepts it, so after the kill they reconnect to B and resend what A never acknowledged.
// A is started again on its data dir to forward what its spool still held. Then `sim verify`
// finds no difference against InfluxDB, nor against B's REST API.

const log = pino({ level: 'silent' })

/** A TCP balancer: a connection goes to the first backend that accepts it. */
async function balancer(
  ports: () => number[]
): Promise<{ port: number; connected: Map<number, number>; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  /** Connections made per backend port. */
  const connected = new Map<number, number>()
  const server = net.createServer((down) => {
    sockets.add(down)
    down.on('close', () => sockets.delete(down))
    down.on('error', () => undefined)
    down.pause()
    const tryNext = (rest: number[]): void => {
      if (rest.length === 0) return void down.destroy()
      const up = net.connect({ host: '127.0.0.1', port: rest[0]! })
      up.once('error', () => tryNext(rest.slice(1)))
      up.once('connect', () => {
        connected.set(rest[0]!, (connected.get(rest[0]!) ?? 0) + 1)
        up.removeAllListeners('error')
        up.on('error', () => down.destroy())
        up.on('close', () => down.destroy())
        down.on('close', () => up.destroy())
        down.pipe(up)
        up.pipe(down)
        down.resume()
      })
    }
    tryNext(ports())
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as net.AddressInfo).port,
    connected,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      })
  }
}

it('a city day over two nodes, one killed midway: sim verify finds no difference', async () => {
  const redis = await startTestRedis()
  onTestFinished(() => redis.stop())
  const db = await createTestDatabase('clusterkill')
  onTestFinished(() => db.drop())
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-cluster-kill-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  const { registry, credentials } = issueDeviceTokens(subsetRegistry(await loadRegistry(SAMPLE_PATH)))
  const registryPath = path.join(dir, 'registry.json')
  await saveRegistry(registryPath, registry)
  const usersPath = path.join(dir, 'users.json')
  const users = await createUserStore({ path: usersPath, log, watch: false })
  const token = await users.add('sim-verify', 'operator')
  await users.close()

  const env = { QINGYUN_REDIS_URL: redis.url, QINGYUN_REGISTRY: registryPath, QINGYUN_USERS: usersPath }
  const common = { influxUrl: inject('influxUrl'), influxAuth: inject('influxAuth'), db: db.db, devices: 0, env }
  const a: NodeProcess = await prepareNode(common)
  onTestFinished(() => a.dispose())
  const b: NodeProcess = await prepareNode(common)
  onTestFinished(() => b.dispose())
  await a.start()
  await b.start()
  let aUp = true
  // Devices split between the nodes as a balancer would spread them; after the kill, all on B.
  let turn = 0
  const lb = await balancer(() => (aUp && turn++ % 2 === 0 ? [a.mqttPort, b.mqttPort] : [b.mqttPort]))
  onTestFinished(() => lb.close())

  const run = startCity({
    mqttUrl: `mqtt://127.0.0.1:${lb.port}`,
    credentials,
    registry,
    date: addDays(localDate(Date.now(), 'Asia/Shanghai'), -3),
    tz: 'Asia/Shanghai',
    seed: 12,
    speed: 3000,
    hours: [5, 24],
    city: { gpsIntervalS: 60, fillIntervalS: 600, notClearing: 1 },
    faults: FaultOptions.parse({ duplicates: 0.02, outOfOrder: 0.02, late: 0.1 }),
    tickMs: 50,
    log
  })
  // Midway: node A has taken part of the load.
  await until(
    'node A acknowledged messages',
    async () => {
      const d = (await a.details()) as {
        spool?: { unforwardedRecords?: number }
        forwarder?: { forwardedRecords?: number }
      }
      return (d.forwarder?.forwardedRecords ?? 0) + (d.spool?.unforwardedRecords ?? 0) > 50
    },
    60_000
  )
  const onA = lb.connected.get(a.mqttPort) ?? 0
  const onBBefore = lb.connected.get(b.mqttPort) ?? 0
  await a.kill('SIGKILL')
  aUp = false
  const truth = await run.done
  const sent = truth.devices.reduce((n, d) => n + d.sent, 0)
  expect(truth.devices.reduce((n, d) => n + d.acked, 0)).toBe(sent)
  expect(sent).toBeGreaterThan(50)
  // The kill was felt: the devices on A lost their connection and came back through the balancer, to B.
  const movedToB = (lb.connected.get(b.mqttPort) ?? 0) - onBBefore
  expect(onA).toBeGreaterThan(0)
  expect(movedToB).toBeGreaterThanOrEqual(onA)
  console.log(
    `city over two nodes, A killed midway: ${sent} messages; ${onA} devices on A, ${movedToB} reconnected to B`
  )

  // A, back on its data dir, forwards what its spool held when it was killed.
  await a.start()
  for (const n of [a, b]) {
    await until(
      'the spool is forwarded',
      async () => ((await n.details()) as { forwarder?: { lagRecords?: number } }).forwarder?.lagRecords === 0,
      60_000
    )
  }
  const influxReport = await verifyInflux(truth, db.client)
  expect(influxReport.differences).toEqual([])
  expect(influxReport.checked).toBeGreaterThan(10)
  // B folded A's facts live while A was up, and the rest itself: its numbers equal the truth.
  let differences: unknown[] = []
  await until(
    "B's REST numbers equal the truth",
    async () => {
      differences = (await verifyRest(truth, { api: `http://127.0.0.1:${b.httpPort}`, token })).differences
      return differences.length === 0
    },
    30_000
  ).catch(() => undefined)
  expect(differences).toEqual([])
}, 240_000)
