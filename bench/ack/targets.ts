// The three servers bench:ack compares, each in its own process: bare Aedes, Mosquitto and
// `qingyun start` (embedded influxd). Each start is bounded in time and names what failed.
import { INFLUXD_CREDENTIALS_FILE, readCredentials } from '../../influx/localAuth.ts'
import { spawnSync } from 'node:child_process'
import { createWriteStream, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { Registry } from '../../contracts/registry.ts'
import { saveRegistry } from '../../registry/load.ts'
import { generateToken, hashToken } from '../../registry/tokens.ts'
import { testRegistry } from '../../test/fixtures/registry.ts'
import { findChild, freePort, waitForPort, type Procs } from './procs.ts'
import type { Credential } from './protocol.ts'
import { NODE_START_FLAGS } from '../../node/heap.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface Target {
  readonly name: 'aedes' | 'mosquitto' | 'qingyun'
  readonly url: string
  readonly pids: Readonly<Record<string, number | undefined>>
  readonly version: string
  /** qingyun only: where its points land. */
  readonly influx?: { readonly url: string; readonly db: string; readonly authorization?: string }
  /** qingyun only: its dashboard-api, whose /readyz details give the node's own view. */
  readonly httpUrl?: string
}

function packageVersion(file: string): string {
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

/** Collects a stream's first 64 KiB and waits (at most `ms`, while `up()`) for `re` in it. */
type Waiter = (re: RegExp, ms: number, up: () => boolean) => Promise<RegExpExecArray>
function watch(stream: NodeJS.ReadableStream, also?: NodeJS.WritableStream): Waiter {
  let text = ''
  stream.on('data', (b: Buffer) => {
    also?.write(b)
    if (text.length < 65_536) text += b.toString('utf8')
  })
  return async (re, ms, up) => {
    for (const until = Date.now() + ms; Date.now() < until && up(); await sleep(100)) {
      const m = re.exec(text)
      if (m) return m
    }
    const m = re.exec(text)
    if (m) return m
    throw new Error(up() ? `nothing matching ${re} within ${ms} ms` : 'the process ended')
  }
}

export async function startAedes(procs: Procs, dir: string): Promise<Target> {
  const logFile = path.join(dir, 'aedes.log')
  const script = path.join(ROOT, 'bench/ack/aedes-server.ts')
  const child = procs.spawn('aedes', process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe']
  })
  child.stderr!.pipe(createWriteStream(logFile))
  const stdout = watch(child.stdout!)
  const up = (): boolean => child.exitCode === null && child.signalCode === null
  try {
    const m = await stdout(/^\{"port":(\d+)\}$/m, 30_000, up)
    const version = packageVersion(path.join(ROOT, 'node_modules/aedes/package.json'))
    return { name: 'aedes', url: `mqtt://127.0.0.1:${m[1]}`, pids: { aedes: child.pid }, version }
  } catch (err) {
    throw new Error(`bare Aedes did not start: ${(err as Error).message}\n${tail(logFile)}`, { cause: err })
  }
}

function mosquittoBinary(): string {
  // Debian's package installs it in /usr/sbin, which some PATHs lack; scripts/ensure.sh
  // installs it the way the project installs every system package.
  const script = '. scripts/ensure.sh && ensure_mosquitto && { command -v mosquitto || echo /usr/sbin/mosquitto; }'
  const r = spawnSync('bash', ['-c', script], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000
  })
  const bin = r.stdout.trim().split('\n').at(-1)
  if (r.status !== 0 || !bin) {
    throw new Error(
      'Mosquitto is needed for bench:ack and could not be installed; install it ' +
        '(Debian/Ubuntu: apt-get install -y mosquitto) or run with --only aedes,qingyun'
    )
  }
  return bin
}

export async function startMosquitto(procs: Procs, dir: string): Promise<Target> {
  const bin = mosquittoBinary()
  const version = /mosquitto version (\S+)/.exec(spawnSync(bin, ['-h'], { encoding: 'utf8' }).stdout)?.[1] ?? '?'
  // The port is found free, then bound by mosquitto: another process may take it in between,
  // so a start that fails is retried on a fresh port.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const conf = path.join(dir, 'mosquitto.conf')
    const logFile = path.join(dir, `mosquitto-${attempt}.log`)
    await writeFile(
      conf,
      [
        '# Written by bench/ack (bench:ack): anonymous, in memory only, loopback.',
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence false',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        ''
      ].join('\n')
    )
    const child = procs.spawn('mosquitto', bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
    child.stderr!.pipe(createWriteStream(logFile))
    if (await waitForPort(port, 10_000, () => child.exitCode === null && child.signalCode === null)) {
      return { name: 'mosquitto', url: `mqtt://127.0.0.1:${port}`, pids: { mosquitto: child.pid }, version }
    }
    if (attempt === 3) throw new Error(`mosquitto did not start on a free port (3 tries)\n${tail(logFile)}`)
  }
}

/** A registry of `devices` fill sensors (one bin each), and their credentials. */
export function fillRegistry(devices: number): { registry: Registry; credentials: Credential[] } {
  const { registry: base } = testRegistry()
  const credentials = Array.from({ length: devices }, (_, i) => ({
    username: `fill-${i}`,
    password: generateToken('qyd_')
  }))
  const registry: Registry = {
    ...base,
    bins: credentials.map((_, i) => ({
      id: `bin-${i}`,
      stream: 'residual' as const,
      district: '梁溪' as const,
      location: { lat: 31.5, lon: 120.3 },
      capacityL: 240
    })),
    devices: credentials.map((c, i) => ({
      id: c.username,
      type: 'fill-sensor' as const,
      binId: `bin-${i}`,
      tokenHash: hashToken(c.password),
      enabled: true
    })),
    services: []
  }
  return { registry, credentials }
}

export async function startQingyun(
  procs: Procs,
  dir: string,
  registry: Registry,
  nodeArgs: readonly string[] = []
): Promise<Target> {
  const registryPath = path.join(dir, 'registry.json')
  await saveRegistry(registryPath, registry)
  // Only what this run sets: an inherited QINGYUN_INFLUX_URL would bypass the embedded influxd.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('QINGYUN_')))
  const logFile = path.join(dir, 'qingyun.log')
  const log = createWriteStream(logFile)
  const child = procs.spawn(
    'qingyun',
    process.execPath,
    [...NODE_START_FLAGS, ...nodeArgs, path.join(ROOT, 'bin/qingyun.mjs'), 'start'],
    {
      cwd: dir,
      env: {
        ...env,
        QINGYUN_DATA_DIR: path.join(dir, 'data'),
        QINGYUN_REGISTRY: registryPath,
        QINGYUN_BIND_HOST: '127.0.0.1',
        // 0: the node binds free ports itself (no race) and its banner says which.
        QINGYUN_MQTT_PORT: '0',
        QINGYUN_MQTT_WS_PORT: '0',
        QINGYUN_HTTP_PORT: '0',
        QINGYUN_LOG_LEVEL: 'warn'
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own stop gives up after 30 s.
      stopGraceMs: 35_000
    }
  )
  child.stdout!.pipe(log)
  const stderr = watch(child.stderr!, log)
  const up = (): boolean => child.exitCode === null && child.signalCode === null
  // Its influxd runs in a process group of its own and is stopped by qingyun, except when
  // qingyun is killed before it is up: adopted as soon as it appears, so it never outlives us.
  let influxd: number | undefined
  const finder = setInterval(() => {
    influxd ??= findChild(child.pid!, 'influxd')
    if (influxd !== undefined) {
      procs.adopt('influxd', influxd)
      clearInterval(finder)
    }
  }, 100)
  try {
    // The banner comes once influxd and the node are up.
    const text = (await stderr(/Qingyun[^\n]*is running\.[\s\S]*Stop with Ctrl-C/, 120_000, up))[0]
    const mqttUrl = /^\s*MQTT\s+(mqtt:\/\/\S+)/m.exec(text)?.[1]
    const httpUrl = /^\s*operations page\s+(http:\/\/\S+?)\/?$/m.exec(text)?.[1]
    const influx = /^\s*InfluxDB\s+(http\S+)\s+database\s+(\S+)/m.exec(text)
    if (!mqttUrl || !httpUrl || !influx) {
      throw new Error(`could not read the MQTT, HTTP and InfluxDB addresses from the banner:\n${text}`)
    }
    const ready = await (async (): Promise<boolean> => {
      for (const until = Date.now() + 60_000; Date.now() < until; await sleep(250)) {
        const r = await fetch(`${httpUrl}/readyz`, { signal: AbortSignal.timeout(5000) }).catch(() => null)
        if (r?.status === 200) return true
      }
      return false
    })()
    if (!ready) throw new Error(`${httpUrl}/readyz did not answer 200 within 60 s`)
    if (influxd === undefined) {
      influxd = findChild(child.pid!, 'influxd')
      if (influxd !== undefined) procs.adopt('influxd', influxd)
    }
    const version = packageVersion(path.join(ROOT, 'package.json'))
    const pids = { qingyun: child.pid, influxd }
    // The embedded influxd requires the login qingyun made for it (influx/localAuth.ts).
    const creds = await readCredentials(path.join(dir, 'data', INFLUXD_CREDENTIALS_FILE))
    const authorization = creds && `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`
    return {
      name: 'qingyun',
      url: mqttUrl,
      pids,
      version,
      httpUrl,
      influx: { url: influx[1]!, db: influx[2]!, ...(authorization ? { authorization } : {}) }
    }
  } catch (err) {
    throw new Error(`qingyun start did not become ready: ${(err as Error).message}\n${tail(logFile)}`, { cause: err })
  } finally {
    clearInterval(finder)
  }
}
