import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Registry } from '../../contracts/registry.ts'
import { EMPTY_USERS, addUser, writeUsers } from '../../dashboard-api/auth/usersFile.ts'
import { subsetRegistry } from '../../devices-sim/city/subset.ts'
import { startCity } from '../../devices-sim/run/city.ts'
import { FaultOptions } from '../../devices-sim/run/faults.ts'
import type { Truth } from '../../devices-sim/run/truth.ts'
import { verifyInflux } from '../../devices-sim/verify/influx.ts'
import { verifyRest } from '../../devices-sim/verify/rest.ts'
import { parseConfig } from '../../lib/config.ts'
import { addDays, localDate } from '../../lib/time.ts'
import { startSystem, type System } from '../../node/system.ts'
import { loadRegistry, saveRegistry } from '../../registry/load.ts'
import { SAMPLE_PATH } from '../../registry/sample/generate.ts'
import { issueDeviceTokens } from '../../registry/seed.ts'
import { createTestDatabase, type TestDatabase } from '../harness/influxdb.ts'
import { startTestRedis, type TestRedis } from '../harness/redis.ts'

// A short accelerated day of a small city spread over two cluster nodes on one Redis and one
// InfluxDB: the weighbridges publish to node A, the bins and trucks to node B. `sim verify`
// finds no difference against InfluxDB, and none against either node's REST API — each node
// shows the whole city, including what only the other node ingested.

const log = pino({ level: process.env.QINGYUN_TEST_LOG_LEVEL ?? 'silent' })

describe('sim city day over two cluster nodes → verify', () => {
  let redis: TestRedis
  let db: TestDatabase
  let dir: string
  const nodes: System[] = []
  const truths: Truth[] = []
  let token: string

  beforeAll(async () => {
    redis = await startTestRedis()
    dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-cluster-sim-'))
    const { registry, credentials } = issueDeviceTokens(subsetRegistry(await loadRegistry(SAMPLE_PATH)))
    await saveRegistry(path.join(dir, 'registry.json'), registry)
    const users = addUser(EMPTY_USERS, 'sim-verify', 'operator', Date.now())
    token = users.token
    await writeUsers(path.join(dir, 'users.json'), users.file)
    db = await createTestDatabase('clustersim')
    const auth = db.auth
    for (const name of ['a', 'b']) {
      const config = parseConfig({
        QINGYUN_BIND_HOST: '127.0.0.1',
        QINGYUN_MQTT_PORT: '0',
        QINGYUN_MQTT_WS_PORT: '0',
        QINGYUN_HTTP_PORT: '0',
        QINGYUN_DATA_DIR: path.join(dir, name),
        QINGYUN_REGISTRY: path.join(dir, 'registry.json'),
        QINGYUN_USERS: path.join(dir, 'users.json'),
        QINGYUN_INFLUX_URL: db.url,
        QINGYUN_INFLUX_DB: db.db,
        QINGYUN_REDIS_URL: redis.url,
        ...(auth && 'token' in auth ? { QINGYUN_INFLUX_TOKEN: auth.token } : {}),
        ...(auth && 'username' in auth
          ? { QINGYUN_INFLUX_USERNAME: auth.username, QINGYUN_INFLUX_PASSWORD: auth.password }
          : {})
      })
      nodes.push(await startSystem(config, log))
    }
    const weighbridges = (r: Registry, wb: boolean): Registry => ({
      ...r,
      devices: r.devices.filter((d) => (d.type === 'weighbridge') === wb)
    })
    const runs = [true, false].map((wb, i) =>
      startCity({
        mqttUrl: `mqtt://127.0.0.1:${nodes[i]!.broker.mqttPort}`,
        credentials,
        registry: weighbridges(registry, wb),
        date: addDays(localDate(Date.now(), 'Asia/Shanghai'), -3),
        tz: 'Asia/Shanghai',
        seed: 11,
        speed: 3000,
        hours: [5, 24],
        city: { gpsIntervalS: 60, fillIntervalS: 600, notClearing: 1 },
        faults: FaultOptions.parse({ malformed: 0.02, duplicates: 0.02, outOfOrder: 0.02, late: 0.15, skew: 0.1 }),
        tickMs: 50,
        log
      })
    )
    for (const r of runs) truths.push(await r.done)
  }, 180_000)

  afterAll(async () => {
    for (const n of nodes.reverse()) await n.stop()
    await db?.drop()
    await redis?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('acknowledges everything and finds no difference against InfluxDB', async () => {
    for (const truth of truths) {
      const sent = truth.devices.reduce((a, d) => a + d.sent, 0)
      expect(truth.devices.reduce((a, d) => a + d.acked, 0)).toBe(sent)
      expect(sent).toBeGreaterThan(20)
    }
    for (const n of nodes) await n.store.forwarder.forwardedTo(n.store.spool.stats().appendedSeq)
    for (const truth of truths) {
      const report = await verifyInflux(truth, db.client)
      expect(report.differences).toEqual([])
      expect(report.checked).toBeGreaterThan(10)
    }
  })

  it('finds no difference against either node: each shows what the other ingested', async () => {
    for (const n of nodes) {
      for (const truth of truths) {
        const report = await verifyRest(truth, { api: `http://127.0.0.1:${n.httpPort}`, token })
        expect(report.differences).toEqual([])
      }
    }
  })
})
