// bench/cluster.ts — `qingyun sim load` against one node, then against two nodes on one Redis
// (QINGYUN_REDIS_URL), both on one private influxd. The same two load processes each time (half
// the devices and half the rate each): in the one-node run both point at the node, in the
// two-node run each at its own node, as a TCP load balancer would spread them. Prints a table
// and writes bench-output/cluster.json. See docs/capacity.md for what the figures mean.
//
//   npm run bench:cluster -- [--devices 600] [--rate 3000] [--seconds 20]
//   npm run bench:cluster -- --smoke
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { startLocalInfluxd } from '../influx/local.ts'
import { saveRegistry } from '../registry/load.ts'
import { testRegistry } from '../test/fixtures/registry.ts'
import { startTestRedis } from '../test/harness/redis.ts'
import { createProcs, freePort, waitForPort } from './ack/procs.ts'
import { NODE_START_FLAGS } from '../node/heap.ts'

const BIN = fileURLToPath(new URL('../bin/qingyun.mjs', import.meta.url))
const { values: a } = parseArgs({
  options: {
    devices: { type: 'string', default: '600' },
    rate: { type: 'string', default: '3000' },
    seconds: { type: 'string', default: '20' },
    smoke: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-output' }
  }
})
const devices = a.smoke ? 10 : Math.max(2, Number(a.devices))
const rate = a.smoke ? 50 : Number(a.rate)
const seconds = a.smoke ? 2 : Number(a.seconds)

interface LoadJson {
  connected: number
  connectFailures: number
  acked: number
  errors: number
  achievedRate: number
  latencyMs: { p50: number; p95: number; p99: number; max: number }
}
interface Row {
  nodes: number
  devices: number
  targetRate: number
  connected: number
  acked: number
  msgPerS: number
  errors: number
  /** Per load process (half the devices each): PUBACK latency quantiles, ms. */
  puback: LoadJson['latencyMs'][]
}

const say = (m: string): void => void process.stderr.write(`bench:cluster: ${m}\n`)
const procs = createProcs(say)
const tmp = await mkdtemp(path.join(os.tmpdir(), 'qingyun-bench-cluster-'))
const rows: Row[] = []
let failed = false
try {
  const influxd = await startLocalInfluxd({ dataDir: path.join(tmp, 'influxdb'), log: pino({ level: 'warn' }) })
  procs.adopt('influxd', influxd.pid)
  const redis = await startTestRedis()
  try {
    const registryPath = path.join(tmp, 'registry.json')
    await saveRegistry(registryPath, testRegistry().registry)
    const creds = path.join(tmp, 'creds.json')
    await run([
      'sim',
      'provision',
      '--devices',
      String(devices),
      '--out-credentials',
      creds,
      '--registry',
      registryPath
    ])
    const all = Object.entries(JSON.parse(await readFile(creds, 'utf8')) as Record<string, string>)
    const halves = [all.slice(0, Math.ceil(all.length / 2)), all.slice(Math.ceil(all.length / 2))]
    const credFiles = await Promise.all(
      halves.map(async (h, i) => {
        const f = path.join(tmp, `creds-${i}.json`)
        await writeFile(f, JSON.stringify(Object.fromEntries(h)), { mode: 0o600 })
        return f
      })
    )
    for (const nodes of [1, 2]) {
      const env = {
        QINGYUN_REGISTRY: registryPath,
        QINGYUN_INFLUX_URL: influxd.url,
        QINGYUN_INFLUX_DB: `bench_cluster_${nodes}`,
        ...(nodes > 1 ? { QINGYUN_REDIS_URL: redis.url } : {})
      }
      const started: Array<Awaited<ReturnType<typeof startNode>>> = []
      for (let i = 0; i < nodes; i++) started.push(await startNode(`n${nodes}-${i}`, env))
      const loads = halves.map((h, i) => {
        const node = started[i % nodes]!
        const json = path.join(tmp, `load-${nodes}-${i}.json`)
        const args = ['sim', 'load', '--devices', String(h.length), '--rate', String(rate / 2)]
        args.push('--duration', String(seconds), '--workers', '1', '--credentials', credFiles[i]!)
        args.push('--mqtt', `mqtt://127.0.0.1:${node.mqttPort}`, '--node-pid', String(node.pid), '--json', json)
        return run(args, true).then(async () => JSON.parse(await readFile(json, 'utf8')) as LoadJson)
      })
      const reports = await Promise.all(loads)
      rows.push({
        nodes,
        devices,
        targetRate: rate,
        connected: reports.reduce((s, r) => s + r.connected, 0),
        acked: reports.reduce((s, r) => s + r.acked, 0),
        msgPerS: Math.round(reports.reduce((s, r) => s + r.achievedRate, 0)),
        errors: reports.reduce((s, r) => s + r.errors + r.connectFailures, 0),
        puback: reports.map((r) => r.latencyMs)
      })
      for (const n of started) await n.stop()
    }
  } finally {
    await redis.stop()
    await influxd.stop()
  }
} catch (err) {
  failed = true
  say(`failed: ${(err as Error).stack ?? String(err)}`)
} finally {
  await procs.stopAll()
  await rm(tmp, { recursive: true, force: true })
}

if (rows.length > 0) {
  const q = (l: LoadJson['latencyMs']): string => `${l.p50}/${l.p95}/${l.p99}/${l.max}`
  console.log(
    'nodes  devices  connected  target msg/s  acked msg/s  errors  PUBACK ms p50/p95/p99/max (per load process)'
  )
  for (const r of rows) {
    const cells = [r.nodes, r.devices, r.connected, r.targetRate, r.msgPerS, r.errors]
    console.log(
      `${cells.map((c, i) => String(c).padEnd([7, 9, 11, 14, 13, 8][i]!)).join('')}${r.puback.map(q).join('  ')}`
    )
  }
  await mkdir(a.out, { recursive: true })
  const file = path.join(a.out, 'cluster.json')
  await writeFile(file, `${JSON.stringify({ at: new Date().toISOString(), seconds, rows }, null, 2)}\n`)
  say(`wrote ${file}`)
}
process.exit(failed ? 1 : 0)

/** `qingyun …` to completion; a load run that reports errors (exit 1) still has its JSON. */
async function run(args: string[], tolerateExit1 = false): Promise<void> {
  const child = procs.spawn(`qingyun ${args[1]}`, process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, QINGYUN_DATA_DIR: tmp, QINGYUN_LOG_LEVEL: 'warn' }
  })
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0 && !(tolerateExit1 && code === 1)) throw new Error(`qingyun ${args.join(' ')} exited ${code}: ${err}`)
}

async function startNode(
  name: string,
  env: Record<string, string>
): Promise<{ pid: number; mqttPort: number; stop(): Promise<void> }> {
  const [mqttPort, httpPort] = [await freePort(), await freePort()]
  const dataDir = path.join(tmp, name)
  const child = procs.spawn(name, process.execPath, [...NODE_START_FLAGS, BIN, 'start'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('QINGYUN_'))),
      ...env,
      QINGYUN_DATA_DIR: dataDir,
      QINGYUN_BIND_HOST: '127.0.0.1',
      QINGYUN_MQTT_PORT: String(mqttPort),
      QINGYUN_MQTT_WS_PORT: '0',
      QINGYUN_HTTP_PORT: String(httpPort),
      QINGYUN_LOG_LEVEL: 'warn'
    }
  })
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)))
  if (!(await waitForPort(httpPort, 60_000, () => child.exitCode === null)))
    throw new Error(`${name} did not start: ${err}`)
  for (let i = 0; i < 600; i++) {
    const ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then(
      (r) => r.ok,
      () => false
    )
    if (ready) break
    await sleep(100)
  }
  return {
    pid: child.pid!,
    mqttPort,
    async stop() {
      child.kill('SIGTERM')
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))
    }
  }
}
