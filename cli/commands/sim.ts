// `qingyun sim city|verify|load|provision`: the device simulator (devices-sim/README.md).
// Exit codes: 0 done (verify: no difference), 1 failure or differences, 2 bad arguments.
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import cliProgress from 'cli-progress'
import { z } from 'zod'
import { ID_PATTERN } from '../../contracts/registry.ts'
import { createInfluxClient } from '../../influx/client.ts'
import { INFLUXD_CREDENTIALS_FILE, readCredentials as readInfluxdCredentials } from '../../influx/localAuth.ts'
import { parseConfig } from '../../lib/config.ts'
import { createLogger } from '../../lib/log.ts'
import { addDays, localDate } from '../../lib/time.ts'
import { writeFileAtomic } from '../../lib/atomic.ts'
import { editRegistry } from '../../registry/edit.ts'
import { loadRegistry } from '../../registry/load.ts'
import { readCredentials } from '../../registry/seed.ts'
import { DEFAULT_MIX, parseMix, typeOfLoadDevice } from '../../devices-sim/load/mix.ts'
import { provisionLoad } from '../../devices-sim/load/provision.ts'
import { procSource, readyzSource } from '../../devices-sim/load/nodeMemory.ts'
import { defaultWorkers, fdProblem, formatLoadReport, runLoad } from '../../devices-sim/load/run.ts'
import { startCity } from '../../devices-sim/run/city.ts'
import { FaultOptions } from '../../devices-sim/run/faults.ts'
import { Truth } from '../../devices-sim/run/truth.ts'
import { formatDifferences, type Difference } from '../../devices-sim/verify/compare.ts'
import { verifyInflux } from '../../devices-sim/verify/influx.ts'
import { verifyRest } from '../../devices-sim/verify/rest.ts'
import {
  num as cliNumber,
  parse as parseCli,
  reportUsage,
  required,
  UsageError,
  type Parsed,
  type StringOptions
} from '../args.ts'
import type { CommandContext } from './context.ts'

const USAGE = `usage:
  qingyun sim city [--date YYYY-MM-DD] [--speed 60] [--seed 1] [--hours 0-24] [--truth FILE]
                   [--mqtt URL] [--registry FILE] [--credentials FILE] [--not-clearing 2]
                   [--fill-interval 300] [--gps-interval 15]
                   [--malformed 0.01] [--duplicates 0.01] [--out-of-order 0.01] [--late 0.05] [--skew 0.02] [--storms 1]
  qingyun sim verify --truth FILE [--api URL --token T] [--influx-url URL --influx-db DB]
                     [--influx-token T | --influx-username U --influx-password P]
                     (default credentials: QINGYUN_INFLUX_*, else the embedded InfluxDB's
                     $QINGYUN_DATA_DIR/influxd-credentials.json)
  qingyun sim provision --devices N --out-credentials FILE [--mix ${DEFAULT_MIX}] [--registry FILE]
  qingyun sim load --devices N --rate MSG_PER_S --duration S [--mix ${DEFAULT_MIX}] [--workers K]
                   [--json FILE] [--credentials FILE] [--mqtt URL] [--malformed x] [--duplicates x] [--storms n]
                   [--node-pid PID | --api URL]   (the node's RSS: /proc/PID/status, or its /readyz)`

const str = { type: 'string' } as const
const FAULT_FLAGS = { malformed: str, duplicates: str, 'out-of-order': str, late: str, skew: str, storms: str } as const

function parse<T extends StringOptions>(cmd: string, args: string[], options: T): Parsed<T>['values'] {
  return parseCli(`sim ${cmd}`, args, options, { positionals: false }).values
}

function num(cmd: string, name: string, v: string | undefined, dflt: number, schema?: z.ZodType<number>): number {
  return cliNumber(`sim ${cmd}`, name, v, dflt, schema)
}

function faults(cmd: string, v: Partial<Record<keyof typeof FAULT_FLAGS, string>>): FaultOptions {
  const r = FaultOptions.safeParse({
    malformed: v.malformed,
    duplicates: v.duplicates,
    outOfOrder: v['out-of-order'],
    late: v.late,
    skew: v.skew,
    storms: v.storms
  })
  if (!r.success)
    throw new UsageError(`sim ${cmd}: ${r.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('; ')}`)
  return r.data
}

function mqttUrl(ctx: CommandContext, v: string | undefined): string {
  if (v) return v
  const c = parseConfig(ctx.env)
  const host = c.bindHost === '0.0.0.0' || c.bindHost === '::' ? '127.0.0.1' : c.bindHost
  return `${c.tls ? 'mqtts' : 'mqtt'}://${host}:${c.mqttPort}`
}

/** The local node's dashboard-api, from the same configuration `qingyun start` reads. */
function apiUrl(ctx: CommandContext): string {
  const c = parseConfig(ctx.env)
  const host = c.bindHost === '0.0.0.0' || c.bindHost === '::' ? '127.0.0.1' : c.bindHost
  return `http://${host.includes(':') ? `[${host}]` : host}:${c.httpPort}`
}

async function city(args: string[], ctx: CommandContext): Promise<number> {
  const v = parse('city', args, {
    date: str,
    speed: str,
    seed: str,
    hours: str,
    truth: str,
    mqtt: str,
    registry: str,
    credentials: str,
    'not-clearing': str,
    'fill-interval': str,
    'gps-interval': str,
    ...FAULT_FLAGS
  })
  const config = parseConfig(ctx.env)
  const registry = await loadRegistry(v.registry ?? config.registryPath)
  const tz = registry.city.tz
  const date = v.date ?? addDays(localDate(Date.now(), tz), -1)
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date))
    throw new UsageError(`sim city: --date ${JSON.stringify(date)} is not YYYY-MM-DD`)
  const hm = /^(\d{1,2})-(\d{1,2})$/.exec(v.hours ?? '0-24')
  if (!hm || Number(hm[1]) >= Number(hm[2]) || Number(hm[2]) > 24)
    throw new UsageError('sim city: --hours must be FROM-TO local hours, e.g. 6-12')
  const credentials = await readCredentials(v.credentials ?? path.join(config.dataDir, 'device-credentials.json'))
  const truthPath = v.truth ?? `sim-truth-${date}.json`
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel)
  const speed = num('city', 'speed', v.speed, 60)
  const bar = new cliProgress.SingleBar(
    {
      stream: ctx.stderr,
      format: 'sim {sim} |{bar}| {percentage}%  sent {sent}  acked {acked}  in-flight {inflight}  conn {conn}',
      hideCursor: true
    },
    cliProgress.Presets.shades_classic
  )
  bar.start(100, 0, { sim: '--:--', sent: 0, acked: 0, inflight: 0, conn: 0 })
  const [h0, h1] = [Number(hm[1]), Number(hm[2])]
  const run = startCity({
    mqttUrl: mqttUrl(ctx, v.mqtt),
    credentials,
    registry,
    date,
    tz,
    seed: num('city', 'seed', v.seed, 1, z.coerce.number().int().nonnegative()),
    speed,
    hours: [h0, h1],
    city: {
      notClearing: num('city', 'not-clearing', v['not-clearing'], 2, z.coerce.number().int().nonnegative()),
      fillIntervalS: num('city', 'fill-interval', v['fill-interval'], 300),
      gpsIntervalS: num('city', 'gps-interval', v['gps-interval'], 15)
    },
    faults: faults('city', v),
    log,
    onProgress: (p) => {
      const span = (h1 - h0) * 3_600_000
      const done = Math.max(0, Math.min(100, Math.round(100 - ((p.simEnd - p.simNow) / span) * 100)))
      bar.update(done, {
        sim: new Date(p.simNow).toLocaleTimeString('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit' }),
        sent: p.sent,
        acked: p.acked,
        inflight: p.inFlight,
        conn: p.connected
      })
    }
  })
  const onSignal = (): void => {
    void run.stop()
  }
  process.once('SIGINT', onSignal)
  const truth = await run.done
  process.removeListener('SIGINT', onSignal)
  bar.stop()
  await writeFile(truthPath, `${JSON.stringify(truth, null, 1)}\n`)
  const sent = truth.devices.reduce((a, d) => a + d.sent, 0)
  const acked = truth.devices.reduce((a, d) => a + d.acked, 0)
  ctx.stderr.write(
    `simulated ${date} ${h0}:00–${h1}:00 at ×${speed}: ${truth.devices.length} devices, ${sent} messages sent, ${acked} acknowledged; faults ${JSON.stringify(truth.faults)}\nground truth written to ${truthPath}\n`
  )
  return sent === acked ? 0 : 1
}

const CATCH_UP_WAIT_MS = 120_000

async function forwarderCaughtUp(api: string, ctx: CommandContext): Promise<void> {
  const until = Date.now() + CATCH_UP_WAIT_MS
  for (let lag: unknown; Date.now() < until; await new Promise((r) => setTimeout(r, 500))) {
    try {
      const body = (await (await fetch(new URL('/readyz', api))).json()) as {
        details?: { forwarder?: { lagRecords?: number } }
      }
      lag = body.details?.forwarder?.lagRecords
    } catch {
      lag = undefined
    }
    if (lag === 0 || lag === undefined) return // caught up, or a node that does not say
  }
  ctx.stderr.write(
    `note: the node's forwarder had not caught up after ${CATCH_UP_WAIT_MS / 1000} s; InfluxDB may lack the newest messages\n`
  )
}

async function verify(args: string[], ctx: CommandContext): Promise<number> {
  const v = parse('verify', args, {
    truth: str,
    api: str,
    token: str,
    'influx-url': str,
    'influx-db': str,
    'influx-token': str,
    'influx-username': str,
    'influx-password': str
  })
  if (!v.truth) throw new UsageError('sim verify: --truth FILE is required')
  if (!v.api && !v['influx-url'])
    throw new UsageError('sim verify: give --api URL --token T, or --influx-url URL --influx-db DB, or both')
  if (v.api && !v.token) throw new UsageError('sim verify: --api needs --token (an operator bearer token)')
  const truth = Truth.parse(JSON.parse(await readFile(v.truth, 'utf8')))
  // An acknowledged message is durable in the node's spool and reaches InfluxDB a moment later:
  // compare once the node's forwarder has caught up (its /readyz says so).
  if (v.api) await forwarderCaughtUp(v.api, ctx)
  const diffs: Difference[] = []
  let checked = 0
  if (v['influx-url']) {
    const config = parseConfig(ctx.env)
    if (Boolean(v['influx-username']) !== Boolean(v['influx-password']))
      throw new UsageError('sim verify: give --influx-username and --influx-password together')
    const auth = v['influx-token']
      ? { token: v['influx-token'] }
      : v['influx-username'] && v['influx-password']
        ? { username: v['influx-username'], password: v['influx-password'] }
        : // The embedded InfluxDB (no QINGYUN_INFLUX_URL) requires the login `qingyun start` made.
          (config.influx.auth ??
          (config.influx.url
            ? undefined
            : await readInfluxdCredentials(path.join(config.dataDir, INFLUXD_CREDENTIALS_FILE))))
    const client = createInfluxClient({
      url: v['influx-url'],
      db: v['influx-db'] ?? config.influx.db,
      ...(auth ? { auth } : {})
    })
    const r = await verifyInflux(truth, client)
    diffs.push(...r.differences)
    checked += r.checked
  }
  if (v.api) {
    const r = await verifyRest(truth, { api: v.api, token: v.token! })
    diffs.push(...r.differences)
    checked += r.checked
    for (const n of r.notes) ctx.stderr.write(`note: ${n}\n`)
  }
  if (diffs.length === 0) {
    ctx.stdout.write(
      `no difference: ${checked} numbers checked (${truth.sites.length} site-days, ${truth.devices.length} devices)\n`
    )
    return 0
  }
  ctx.stdout.write(`${formatDifferences(diffs)}\n`)
  ctx.stderr.write(`${diffs.length} of ${checked} numbers differ\n`)
  return 1
}

async function provision(args: string[], ctx: CommandContext): Promise<number> {
  const v = parse('provision', args, { devices: str, 'out-credentials': str, mix: str, registry: str })
  const n = num('provision', 'devices', v.devices, NaN, z.coerce.number().int().positive().max(99_999))
  if (Number.isNaN(n)) throw new UsageError('sim provision: --devices N is required')
  const config = parseConfig(ctx.env)
  const registryPath = v.registry ?? config.registryPath
  const mix = parseMix(v.mix ?? DEFAULT_MIX)
  const out = required('sim provision', '--out-credentials FILE', v['out-credentials'])
  // Under the registry lock, on the file as it is now (registry/edit.ts). The tokens are written
  // before the registry, as at first start: a crash in between leaves the old load devices.
  await editRegistry(
    registryPath,
    async (current) => {
      const { registry, credentials } = provisionLoad(current, n, mix)
      await writeFileAtomic(out, `${JSON.stringify(credentials)}\n`, 0o600)
      return registry
    },
    { ...config.registryLock, log: createLogger(config.logLevel, ctx.stderr) }
  )
  ctx.stderr.write(
    `provisioned ${n} load devices (load-wb-…, load-fill-…, load-gps-…) in ${registryPath}; tokens in ${out} (mode 0600). A running broker reloads the registry by itself.\n`
  )
  return 0
}

async function load(args: string[], ctx: CommandContext): Promise<number> {
  const v = parse('load', args, {
    devices: str,
    rate: str,
    duration: str,
    mix: str,
    workers: str,
    json: str,
    credentials: str,
    mqtt: str,
    seed: str,
    malformed: str,
    duplicates: str,
    storms: str,
    'node-pid': str,
    api: str
  })
  if (v['node-pid'] !== undefined && v.api !== undefined)
    throw new UsageError('sim load: give --node-pid or --api, not both')
  const nodePid =
    v['node-pid'] === undefined
      ? undefined
      : num('load', 'node-pid', v['node-pid'], 0, z.coerce.number().int().positive())
  const n = num('load', 'devices', v.devices, NaN, z.coerce.number().int().positive())
  if (Number.isNaN(n)) throw new UsageError('sim load: --devices N is required')
  const problem = fdProblem(n)
  if (problem) {
    ctx.stderr.write(`${problem}\n`)
    return 2
  }
  const credPath = v.credentials ?? 'load-credentials.json'
  const creds = await readCredentials(credPath)
  const devices = Object.entries(creds)
    .filter(([id]) => ID_PATTERN.test(id) && typeOfLoadDevice(id) !== undefined)
    .slice(0, n)
    .map(([id, token]) => ({ id, token, type: typeOfLoadDevice(id)! }))
  if (devices.length < n) {
    ctx.stderr.write(
      `sim load: ${credPath} holds ${devices.length} load devices, ${n} asked; run: qingyun sim provision --devices ${n} --out-credentials ${credPath}\n`
    )
    return 2
  }
  const f = faults('load', v)
  const report = await runLoad({
    url: mqttUrl(ctx, v.mqtt),
    devices,
    rate: num('load', 'rate', v.rate, 1000),
    durationS: num('load', 'duration', v.duration, 60),
    mix: parseMix(v.mix ?? DEFAULT_MIX),
    workers: num('load', 'workers', v.workers, defaultWorkers(n), z.coerce.number().int().nonnegative().max(64)),
    malformed: f.malformed,
    duplicates: f.duplicates,
    storms: f.storms,
    seed: num('load', 'seed', v.seed, 1, z.coerce.number().int().nonnegative()),
    progress: ctx.stderr,
    nodeMemory: nodePid === undefined ? readyzSource(v.api ?? apiUrl(ctx)) : procSource(nodePid)
  })
  ctx.stdout.write(`${formatLoadReport(report)}\n`)
  if (v.json)
    await writeFile(
      v.json,
      `${JSON.stringify({ at: new Date().toISOString(), command: `sim load ${args.join(' ')}`, ...report }, null, 2)}\n`
    )
  return report.errors === 0 && report.connectFailures === 0 ? 0 : 1
}

export async function simCommand(args: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = args
  try {
    switch (sub) {
      case 'city':
        return await city(rest, ctx)
      case 'verify':
        return await verify(rest, ctx)
      case 'provision':
        return await provision(rest, ctx)
      case 'load':
        return await load(rest, ctx)
      default:
        throw new UsageError(
          sub === undefined ? 'sim: a subcommand is required' : `sim: unknown subcommand ${JSON.stringify(sub)}`
        )
    }
  } catch (err) {
    if (err instanceof UsageError) return reportUsage(ctx.stderr, err, USAGE)
    throw err
  }
}
