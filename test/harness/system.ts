import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { pino } from 'pino'
import { onTestFinished } from 'vitest'
import type { Registry } from '../../contracts/registry.ts'
import type { Role } from '../../dashboard-api/auth/types.ts'
import { startSystem, type System } from '../../node/system.ts'
import { parseConfig } from '../../lib/config.ts'
import { saveRegistry } from '../../registry/load.ts'
import { testRegistry } from '../fixtures/registry.ts'
import { createTestDatabase, type TestDatabase } from './influxdb.ts'

export interface TestSystem {
  readonly system: System
  readonly db: TestDatabase
  readonly tokens: Record<string, string>
  readonly registry: Registry
  readonly registryPath: string
  readonly dataDir: string
  readonly mqttUrl: string
  readonly wsUrl: string
  readonly httpUrl: string
  /** A connected mqtt.js client for a device of the registry, ended after the test. */
  device(id: string, opts?: IClientOptions): Promise<MqttClient>
  /** A fresh operator account's bearer token. */
  token(role: Role): Promise<string>
  /** Resolves once everything acknowledged so far has been forwarded from the spool to InfluxDB. */
  forwarded(): Promise<void>
  /** fetch() on dashboard-api with a bearer token; JSON body parsed. */
  api<T = unknown>(pathAndQuery: string, token: string, init?: RequestInit): Promise<{ status: number; body: T }>
  stop(): Promise<void>
}

/**
 * The whole node as `qingyun start` builds it (node/system.ts), on free loopback ports, with a
 * fresh database on the run's real InfluxDB and a temp data dir with the test registry.
 */
export async function startTestSystem(
  opts: { env?: Record<string, string>; influxUrl?: string; db?: TestDatabase } = {}
): Promise<TestSystem> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-test-'))
  const { registry, tokens } = testRegistry()
  const registryPath = path.join(dataDir, 'registry.json')
  await saveRegistry(registryPath, registry)
  const db = opts.db ?? (await createTestDatabase('spine'))
  const auth = db.auth
  const env: Record<string, string> = {
    QINGYUN_BIND_HOST: '127.0.0.1',
    QINGYUN_MQTT_PORT: '0',
    QINGYUN_MQTT_WS_PORT: '0',
    QINGYUN_HTTP_PORT: '0',
    QINGYUN_DATA_DIR: dataDir,
    QINGYUN_REGISTRY: registryPath,
    QINGYUN_INFLUX_URL: opts.influxUrl ?? db.url,
    QINGYUN_INFLUX_DB: db.db,
    ...(auth && 'token' in auth ? { QINGYUN_INFLUX_TOKEN: auth.token } : {}),
    ...(auth && 'username' in auth
      ? { QINGYUN_INFLUX_USERNAME: auth.username, QINGYUN_INFLUX_PASSWORD: auth.password }
      : {}),
    ...opts.env
  }
  const log = pino({ level: process.env.QINGYUN_TEST_LOG_LEVEL ?? 'silent' })
  const system = await startSystem(parseConfig(env), log)
  const clients: MqttClient[] = []
  let accounts = 0
  const mqttUrl = `mqtt://127.0.0.1:${system.broker.mqttPort}`
  const t: TestSystem = {
    system,
    db,
    tokens,
    registry,
    registryPath,
    dataDir,
    mqttUrl,
    wsUrl: `ws://127.0.0.1:${system.broker.wsPort}`,
    httpUrl: `http://127.0.0.1:${system.httpPort}`,
    async device(id, extra = {}) {
      const c = await mqtt.connectAsync(mqttUrl, {
        username: id,
        password: tokens[id],
        clientId: `${id}-${clients.length}`,
        reconnectPeriod: 0,
        ...extra
      })
      clients.push(c)
      return c
    },
    forwarded: () => system.store.forwarder.forwardedTo(system.store.spool.stats().appendedSeq),
    token: (role) => system.users.add(`test-${role}-${++accounts}`, role),
    async api(pathAndQuery, token, init = {}) {
      const res = await fetch(`http://127.0.0.1:${system.httpPort}${pathAndQuery}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) }
      })
      const text = await res.text()
      return {
        status: res.status,
        body: (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as never
      }
    },
    async stop() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)))
      await system.stop()
      if (!opts.db) await db.drop()
      await rm(dataDir, { recursive: true, force: true })
    }
  }
  return t
}

/** Start a test system that is stopped when the current test finishes. */
export async function withSystem(opts?: Parameters<typeof startTestSystem>[0]): Promise<TestSystem> {
  const t = await startTestSystem(opts)
  onTestFinished(() => t.stop())
  return t
}
