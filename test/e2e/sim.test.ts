import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSystem, type System } from '../../node/system.ts'
import { loadRegistry, saveRegistry } from '../../registry/load.ts'
import { SAMPLE_PATH } from '../../registry/sample/generate.ts'
import { issueDeviceTokens } from '../../registry/seed.ts'
import { parseConfig } from '../../lib/config.ts'
import { addDays, localDate } from '../../lib/time.ts'
import { subsetRegistry } from '../../devices-sim/city/subset.ts'
import { startCity } from '../../devices-sim/run/city.ts'
import { FaultOptions } from '../../devices-sim/run/faults.ts'
import type { Truth } from '../../devices-sim/run/truth.ts'
import { verifyInflux } from '../../devices-sim/verify/influx.ts'
import { verifyRest } from '../../devices-sim/verify/rest.ts'
import { EMPTY_USERS, addUser, writeUsers } from '../../dashboard-api/auth/usersFile.ts'
import { createTestDatabase, type TestDatabase } from '../harness/influxdb.ts'

// A short accelerated day of a small city (3 sites, 30 bins, 6 trucks of 梁溪) over real MQTT
// into the real system, with every kind of fault switched on, ends with `sim verify` finding
// no difference against InfluxDB.

const log = pino({ level: process.env.QINGYUN_TEST_LOG_LEVEL ?? 'silent' })

describe('sim city day → verify', () => {
  let system: System
  let db: TestDatabase
  let dir: string
  let truth: Truth
  let operatorToken: string

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-sim-'))
    const { registry, credentials } = issueDeviceTokens(subsetRegistry(await loadRegistry(SAMPLE_PATH)))
    await saveRegistry(path.join(dir, 'registry.json'), registry)
    const users = addUser(EMPTY_USERS, 'sim-verify', 'operator', Date.now())
    operatorToken = users.token
    await writeUsers(path.join(dir, 'users.json'), users.file)
    db = await createTestDatabase('sim')
    const auth = db.auth
    system = await startSystem(
      parseConfig({
        QINGYUN_BIND_HOST: '127.0.0.1',
        QINGYUN_MQTT_PORT: '0',
        QINGYUN_MQTT_WS_PORT: '0',
        QINGYUN_HTTP_PORT: '0',
        QINGYUN_DATA_DIR: dir,
        QINGYUN_REGISTRY: path.join(dir, 'registry.json'),
        QINGYUN_USERS: path.join(dir, 'users.json'),
        QINGYUN_INFLUX_URL: db.url,
        QINGYUN_INFLUX_DB: db.db,
        ...(auth && 'token' in auth ? { QINGYUN_INFLUX_TOKEN: auth.token } : {}),
        ...(auth && 'username' in auth
          ? { QINGYUN_INFLUX_USERNAME: auth.username, QINGYUN_INFLUX_PASSWORD: auth.password }
          : {})
      }),
      log
    )
    const run = startCity({
      mqttUrl: `mqtt://127.0.0.1:${system.broker.mqttPort}`,
      credentials,
      registry,
      date: addDays(localDate(Date.now(), 'Asia/Shanghai'), -3),
      tz: 'Asia/Shanghai',
      seed: 11,
      speed: 3000,
      hours: [5, 24],
      city: { gpsIntervalS: 60, fillIntervalS: 600, notClearing: 1 },
      faults: FaultOptions.parse({
        malformed: 0.02,
        duplicates: 0.02,
        outOfOrder: 0.02,
        late: 0.15,
        skew: 0.1,
        storms: 1
      }),
      tickMs: 50,
      log
    })
    truth = await run.done
  }, 120_000)

  afterAll(async () => {
    await system?.stop()
    await db?.drop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('acknowledges every message it sent and injected each fault', () => {
    const sent = truth.devices.reduce((a, d) => a + d.sent, 0)
    const acked = truth.devices.reduce((a, d) => a + d.acked, 0)
    expect(sent).toBeGreaterThan(3000)
    expect(acked).toBe(sent)
    for (const f of [
      'malformed:INGEST_E_JSON',
      'malformed:INGEST_E_SCHEMA',
      'duplicates',
      'outOfOrder',
      'lateBatches',
      'skewed',
      'storms'
    ]) {
      expect(truth.faults[f] ?? 0, f).toBeGreaterThan(0)
    }
    const inbound = truth.sites.reduce((a, s) => a + s.ticketsIn, 0)
    const outbound = truth.sites.reduce((a, s) => a + s.ticketsOut, 0)
    expect(inbound).toBeGreaterThan(3)
    expect(outbound).toBeGreaterThan(0)
  })

  it('finds no difference against InfluxDB: tonnes to the kilogram, objects per device, rejections by code', async () => {
    // Acknowledged means durable in the node's spool; InfluxDB follows.
    await system.store.forwarder.forwardedTo(system.store.spool.stats().appendedSeq)
    const report = await verifyInflux(truth, db.client)
    expect(report.differences).toEqual([])
    expect(report.checked).toBeGreaterThan(50)
    const codes = new Set(truth.devices.flatMap((d) => Object.values(d.days).flatMap((x) => Object.keys(x.rejected))))
    expect([...codes].sort()).toEqual(['INGEST_E_JSON', 'INGEST_E_SCHEMA', 'INGEST_E_TS_RANGE'])
  })

  it('finds no difference against the REST API: site balances and the completeness report per device', async () => {
    const report = await verifyRest(truth, { api: `http://127.0.0.1:${system.httpPort}`, token: operatorToken })
    expect(report.differences).toEqual([])
    expect(report.checked).toBeGreaterThan(50)
  })
})
