// A Jepsen-style crash check on real processes: `qingyun start` runs as a child process,
// devices (mqtt.js) publish weighing tickets and record every PUBACK, the node is killed with
// SIGKILL at random moments and started again on the same data directory, and at the end every
// acknowledged ticket must be in InfluxDB exactly once (and nothing that was never sent).
// Used by the suite (a short run) and by `npm run soak` (the long one).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import mqtt, { type MqttClient } from 'mqtt'
import type { Registry } from '../../contracts/registry.ts'
import { createInfluxClient, rows, type InfluxAuth } from '../../influx/client.ts'
import { saveRegistry } from '../../registry/load.ts'
import { generateToken, hashToken } from '../../registry/tokens.ts'
import { testRegistry } from '../fixtures/registry.ts'
import { freePort } from './ports.ts'
import { NODE_START_FLAGS } from '../../node/heap.ts'

const BIN = fileURLToPath(new URL('../../bin/qingyun.mjs', import.meta.url))

export interface CrashRunOptions {
  readonly influxUrl: string
  readonly influxAuth: InfluxAuth | null
  readonly db: string
  readonly devices: number
  /** Publishes in flight per device. */
  readonly window: number
  readonly kills: number
  /** The node runs this long (uniformly random in the range) before each kill. */
  readonly upMs: readonly [number, number]
  /** Messages per second across all devices (0: as fast as acks come). */
  readonly rate: number
  readonly random?: () => number
  readonly log?: (line: string) => void
}

export interface CrashReport {
  readonly kills: number
  readonly sent: number
  readonly acked: number
  readonly stored: number
  /** Acknowledged tickets not in InfluxDB: must be 0. */
  readonly lostAcked: number
  /** Tickets stored more than once: must be 0. */
  readonly duplicated: number
  /** Stored tickets that were never sent: must be 0. */
  readonly unknown: number
  readonly seconds: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export interface NodeProcess {
  readonly dataDir: string
  readonly mqttPort: number
  readonly httpPort: number
  /** Tokens of the load devices wb-c0 … wb-c{n-1}, weighbridges at ts-1. */
  readonly tokens: readonly string[]
  start(): Promise<void>
  kill(signal?: NodeJS.Signals): Promise<void>
  /** /readyz details (spool, forwarder, PUBACK latency). */
  details(): Promise<Record<string, unknown>>
  /** The last lines the node wrote to stderr, and how it exited (when it has). */
  lastWords(): string
  /** SIGTERM (then SIGKILL after 10 s) and remove the data directory. */
  dispose(): Promise<void>
}

/** `qingyun start` as a child process with `devices` load weighbridges, fixed free ports and a
 *  data directory of its own, on the given InfluxDB. */
export async function prepareNode(o: {
  influxUrl: string
  influxAuth: InfluxAuth | null
  db: string
  devices: number
  env?: Record<string, string>
}): Promise<NodeProcess> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-node-'))
  const { registry: base } = testRegistry()
  const tokens: string[] = []
  const registry: Registry = {
    ...base,
    devices: [
      ...base.devices,
      ...Array.from({ length: o.devices }, (_, i) => {
        tokens.push(generateToken('qyd_'))
        return {
          id: `wb-c${i}`,
          type: 'weighbridge' as const,
          siteId: 'ts-1',
          tokenHash: hashToken(tokens[i]!),
          enabled: true
        }
      })
    ]
  }
  const registryPath = path.join(dataDir, 'registry.json')
  await saveRegistry(registryPath, registry)
  const [mqttPort, httpPort] = [await freePort(), await freePort()]
  const auth = o.influxAuth
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    QINGYUN_BIND_HOST: '127.0.0.1',
    QINGYUN_MQTT_PORT: String(mqttPort),
    QINGYUN_MQTT_WS_PORT: '0',
    QINGYUN_HTTP_PORT: String(httpPort),
    QINGYUN_DATA_DIR: dataDir,
    QINGYUN_REGISTRY: registryPath,
    QINGYUN_INFLUX_URL: o.influxUrl,
    QINGYUN_INFLUX_DB: o.db,
    QINGYUN_LOG_LEVEL: 'warn',
    ...(auth && 'token' in auth ? { QINGYUN_INFLUX_TOKEN: auth.token } : {}),
    ...(auth && 'username' in auth
      ? { QINGYUN_INFLUX_USERNAME: auth.username, QINGYUN_INFLUX_PASSWORD: auth.password }
      : {}),
    ...o.env
  }
  let node: ChildProcess | undefined
  let stderr = ''
  const exited = (): Promise<unknown> =>
    node && node.exitCode === null && node.signalCode === null
      ? new Promise((r) => node!.once('exit', r))
      : Promise.resolve()
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (!node || node.exitCode !== null || node.signalCode !== null) return
    const done = exited()
    node.kill(signal)
    await done
  }
  return {
    dataDir,
    mqttPort,
    httpPort,
    tokens,
    async start() {
      node = spawn(process.execPath, [...NODE_START_FLAGS, BIN, 'start'], { env, stdio: ['ignore', 'ignore', 'pipe'] })
      stderr = ''
      node.stderr!.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000)
      })
      for (let i = 0; i < 300; i++) {
        if (node.exitCode !== null) throw new Error(`qingyun start exited ${node.exitCode}: ${stderr}`)
        try {
          if ((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).ok) return
        } catch {
          // not listening yet
        }
        await sleep(100)
      }
      throw new Error(`qingyun start did not answer /healthz in 30 s: ${stderr}`)
    },
    kill,
    lastWords: () => `exit ${node?.exitCode ?? '-'} signal ${node?.signalCode ?? '-'}\n${stderr}`,
    async details() {
      // A loaded node may reset a connection now and then: ask again before giving up.
      for (let attempt = 1; ; attempt++) {
        try {
          const res = await fetch(`http://127.0.0.1:${httpPort}/readyz`)
          return ((await res.json()) as { details?: Record<string, unknown> }).details ?? {}
        } catch (err) {
          if (attempt >= 5) throw err
          await sleep(500)
        }
      }
    },
    async dispose() {
      await Promise.race([kill('SIGTERM'), sleep(10_000)])
      await kill('SIGKILL')
      await rm(dataDir, { recursive: true, force: true })
    }
  }
}

export async function crashRun(o: CrashRunOptions): Promise<CrashReport> {
  const random = o.random ?? Math.random
  const log = o.log ?? (() => undefined)
  const t0 = Date.now()
  const node = await prepareNode({ influxUrl: o.influxUrl, influxAuth: o.influxAuth, db: o.db, devices: o.devices })
  const { tokens, mqttPort } = node
  const auth = o.influxAuth
  const sent = new Set<string>()
  const acked = new Set<string>()
  let stopping = false
  let next = 0
  let paceAt = Date.now()
  const clients: MqttClient[] = []
  const lanes: Promise<void>[] = []
  try {
    await node.start()
    for (let d = 0; d < o.devices; d++) {
      const c = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, {
        username: `wb-c${d}`,
        password: tokens[d]!,
        clientId: `crash-${d}`,
        clean: false,
        reconnectPeriod: 200,
        connectTimeout: 5000,
        keepalive: 10
      })
      c.on('error', () => undefined)
      clients.push(c)
      const lane = async (): Promise<void> => {
        while (!stopping) {
          if (o.rate > 0) {
            paceAt = Math.max(paceAt + 1000 / o.rate, Date.now() - 1000)
            const wait = paceAt - Date.now()
            if (wait > 0) await sleep(wait)
          }
          const id = `C-${d}-${next++}`
          const ts = t0 - 60_000 + (next % 50_000)
          const body = JSON.stringify({
            ts,
            ticketId: id,
            direction: 'in',
            stream: 'residual',
            grossKg: 12000,
            tareKg: 8000,
            netKg: 4000,
            plate: '苏B12345'
          })
          sent.add(id)
          // mqtt.js keeps an unacknowledged QoS 1 publish and resends it after a reconnect; the
          // promise resolves on its PUBACK, whichever connection that arrives on.
          await c.publishAsync(`v1/devices/wb-c${d}/weighing`, body, { qos: 1 }).then(
            () => void acked.add(id),
            () => sleep(100)
          )
        }
      }
      for (let w = 0; w < o.window; w++) lanes.push(lane())
    }
    for (let k = 0; k < o.kills; k++) {
      const up = o.upMs[0] + random() * (o.upMs[1] - o.upMs[0])
      await sleep(up)
      log(`kill -9 #${k + 1} after ${Math.round(up)} ms: ${acked.size} acked of ${sent.size} sent`)
      await node.kill('SIGKILL')
      await node.start()
    }
    await sleep(o.upMs[0])
    stopping = true
    // Let publishes in flight finish (or give up) on the last node.
    await Promise.race([Promise.all(lanes), sleep(15_000)])
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)))

    // Everything acked must reach InfluxDB: the last node forwards its spool.
    const influx = createInfluxClient({ url: o.influxUrl, db: o.db, ...(auth ? { auth } : {}) })
    let stored = new Map<string, number>()
    for (let i = 0; i < 120; i++) {
      const [all] = await influx.query('SELECT ticket_id, net_kg FROM weighing WHERE ticket_id =~ /^C-/', {
        epoch: 'ms'
      })
      stored = new Map()
      for (const row of rows(all)) stored.set(String(row.ticket_id), (stored.get(String(row.ticket_id)) ?? 0) + 1)
      if ([...acked].every((id) => stored.has(id))) break
      await sleep(500)
    }
    const lostAcked = [...acked].filter((id) => !stored.has(id)).length
    const duplicated = [...stored.values()].filter((n) => n > 1).length
    const unknown = [...stored.keys()].filter((id) => !sent.has(id)).length
    return {
      kills: o.kills,
      sent: sent.size,
      acked: acked.size,
      stored: stored.size,
      lostAcked,
      duplicated,
      unknown,
      seconds: (Date.now() - t0) / 1000
    }
  } finally {
    stopping = true
    for (const c of clients) c.end(true)
    await node.dispose()
  }
}
