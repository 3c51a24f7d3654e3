// Runs a private influxd 1.x (Debian's `influxdb` package) for tests and local development:
// its own config, data under dataDir, loopback ports chosen free, stopped with SIGTERM → SIGKILL.
// influxd runs under influx/supervisor.mjs, which stops it when this process ends in any way
// (kill -9 included); a pidfile in dataDir lets the next start stop an influxd left behind.
import { spawn } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Log } from '../lib/log.ts'
import { processStartTime } from '../lib/procfile.ts'
import { InfluxdNotFoundError, InfluxdStartError } from './errors.ts'
import { ensureAdminUser, type InfluxdCredentials } from './localAuth.ts'
import { removePidfile, stopOrphanedInfluxd, writePidfile } from './orphan.ts'

const SUPERVISOR = fileURLToPath(new URL('./supervisor.mjs', import.meta.url))

export interface LocalInfluxdOptions {
  readonly dataDir: string
  readonly log: Log
  readonly influxdPath?: string
  readonly host?: string
  /** 0 (the default) picks a free port. */
  readonly port?: number
  readonly startTimeoutMs?: number
  /** How long stop() waits after SIGTERM before SIGKILL. */
  readonly killAfterMs?: number
  /** Turns on `[http] auth-enabled` with this admin user (created on first start). */
  readonly auth?: { readonly credentials: InfluxdCredentials; readonly path: string }
}

export interface LocalInfluxd {
  readonly url: string
  /** influxd's own pid (its supervisor is the process group leader). */
  readonly pid: number
  stop(): Promise<void>
}

export const INFLUXD_INSTALL_HINT =
  'Install InfluxDB 1.x: `apt-get install -y influxdb` (Debian/Ubuntu; provides /usr/bin/influxd), ' +
  'or point QINGYUN_INFLUX_URL at a running InfluxDB (1.x, 2.x or 3.x).'

// Some PATHs (non-login shells, CI images) lack the sbin directories.
const FALLBACK_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin']

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK)
    return statSync(p).isFile()
  } catch {
    return false
  }
}

/** The influxd executable: `name` itself when it is a path, else the first match on PATH. */
export function findInfluxd(name = 'influxd', pathEnv = process.env.PATH ?? ''): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined
  const dirs = [...pathEnv.split(delimiter).filter((d) => d !== ''), ...FALLBACK_DIRS]
  for (const dir of dirs) {
    const p = join(dir, name)
    if (isExecutable(p)) return p
  }
  return undefined
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** Binds port 0 and releases it. Racy by nature (someone may take it before influxd does);
 *  startLocalInfluxd retries with fresh ports when influxd reports the address in use. */
async function freePort(host: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen(0, host, () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

/** influxd 1.x configuration (TOML). Strings go through JSON.stringify: TOML basic strings use
 *  the same escapes for quotes, backslashes and control characters. */
export function influxdConfig(o: { dataDir: string; httpBind: string; rpcBind: string; auth?: boolean }): string {
  const s = JSON.stringify
  return `# Written by Qingyun (influx/local.ts) for a private, throwaway influxd.
# Upstream's key is reporting-disabled; Debian's build renamed it reporting-enabled. Unknown keys
# are ignored, so both are set.
reporting-disabled = true
reporting-enabled = false
# The RPC service (backup/restore) defaults to :8088; a fixed port would clash between instances.
bind-address = ${s(o.rpcBind)}

[meta]
  dir = ${s(join(o.dataDir, 'meta'))}
  logging-enabled = false

[data]
  dir = ${s(join(o.dataDir, 'data'))}
  wal-dir = ${s(join(o.dataDir, 'wal'))}
  query-log-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = ${s(o.httpBind)}
  log-enabled = false
  pprof-enabled = false
  auth-enabled = ${o.auth === true}

[logging]
  suppress-logo = true

[continuous_queries]
  log-enabled = false
`
}

const TAIL_LINES = 40

export async function startLocalInfluxd(opts: LocalInfluxdOptions): Promise<LocalInfluxd> {
  const {
    dataDir,
    log,
    influxdPath = 'influxd',
    host = '127.0.0.1',
    port = 0,
    startTimeoutMs = 20_000,
    killAfterMs = 5_000,
    auth
  } = opts
  const exe = findInfluxd(influxdPath)
  if (exe === undefined) {
    throw new InfluxdNotFoundError(
      `influxd not found (looked for ${JSON.stringify(influxdPath)} on PATH). ${INFLUXD_INSTALL_HINT}`
    )
  }
  // influxd's files are for its owner only (its data is readable without the API).
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  await chmod(dataDir, 0o700)
  // Two influxd processes on one data directory would corrupt it.
  await stopOrphanedInfluxd({ dataDir, configPath: join(dataDir, 'influxdb.conf'), log, killAfterMs })
  // Only a port we picked ourselves can have been taken in the meantime; retry those.
  const attempts = port === 0 ? 3 : 1
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(exe, { dataDir, log, host, port, startTimeoutMs, killAfterMs, auth })
    } catch (err) {
      const inUse = err instanceof InfluxdStartError && err.stderrTail.some((l) => l.includes('address already in use'))
      if (!inUse || attempt >= attempts) throw err
      log.debug({ attempt }, 'influxd port taken before it could bind; retrying with fresh ports')
    }
  }
}

async function startOnce(
  exe: string,
  o: {
    dataDir: string
    log: Log
    host: string
    port: number
    startTimeoutMs: number
    killAfterMs: number
    auth: LocalInfluxdOptions['auth']
  }
): Promise<LocalInfluxd> {
  const httpPort = o.port === 0 ? await freePort(o.host) : o.port
  const rpcPort = await freePort('127.0.0.1')
  const configPath = join(o.dataDir, 'influxdb.conf')
  const httpBind = hostPort(o.host, httpPort)
  const rpcBind = hostPort('127.0.0.1', rpcPort)
  await writeFile(configPath, influxdConfig({ dataDir: o.dataDir, httpBind, rpcBind, auth: o.auth !== undefined }))
  const url = `http://${hostPort(o.host, httpPort)}`

  // Its own process group: Ctrl-C in a terminal (or `timeout`) signals the whole foreground
  // group, and influxd must outlive the writer's last flush; stop() ends it, last. The
  // supervisor's stdin is the lifeline (EOF = this process is gone); fd 3 reports influxd's pid.
  const child = spawn(process.execPath, [SUPERVISOR, String(o.killAfterMs), exe, '-config', configPath], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    detached: true
  })
  let influxdPid: number | undefined
  const pidLine = child.stdio[3] as NodeJS.ReadableStream | null
  pidLine?.on('data', (chunk: Buffer) => {
    const m = /pid (\d+)/.exec(chunk.toString('utf8'))
    if (m) influxdPid = Number(m[1])
  })
  pidLine?.on('error', () => {})
  child.stdin.on('error', () => {})
  const tail: string[] = []
  const onOutput = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue
      tail.push(line)
      if (tail.length > TAIL_LINES) tail.shift()
      o.log.debug({ pid: child.pid, line }, 'influxd output')
    }
  }
  child.stdout.on('data', onOutput)
  child.stderr.on('data', onOutput)

  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal }
      resolve()
    })
  })
  let spawnFailed = false
  const spawnError = new Promise<Error>((resolve) => {
    child.once('error', (err) => {
      spawnFailed = true
      resolve(err)
    })
  })

  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // A child that failed to spawn never emits 'exit'.
      if (!spawnFailed && exitInfo === undefined && child.exitCode === null) {
        // EOF: the supervisor sends SIGTERM, and SIGKILL after killAfterMs. Should the supervisor
        // itself hang, its whole process group (it and influxd) is killed a little later.
        child.stdin.end()
        let timer: NodeJS.Timeout | undefined
        const killed = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            killGroup(child.pid)
            resolve()
          }, o.killAfterMs + 2_000)
        })
        await Promise.race([exited, killed])
        clearTimeout(timer)
        await exited
      }
      if (influxdPid !== undefined) await removePidfile(o.dataDir, influxdPid).catch(() => {})
    })()
    return stopping
  }

  const fail = async (why: string, cause?: unknown): Promise<never> => {
    await stop()
    const lines = tail.slice(-15)
    throw new InfluxdStartError(
      `influxd ${why} (config ${configPath})${lines.length > 0 ? `; last output:\n${lines.join('\n')}` : ''}`,
      [...tail],
      cause === undefined ? undefined : { cause }
    )
  }

  const deadline = Date.now() + o.startTimeoutMs
  for (;;) {
    const ready = await Promise.race([
      pingOnce(url),
      exited.then(() => 'exited' as const),
      spawnError.then((err) => err)
    ])
    if (ready === true && influxdPid !== undefined) break
    if (ready instanceof Error) return await fail(`could not be started: ${ready.message}`, ready)
    if (ready === 'exited')
      return await fail(`exited before answering /ping (code ${exitInfo?.code}, signal ${exitInfo?.signal})`)
    if (Date.now() > deadline)
      return await fail(`did not answer /ping with 204 within ${o.startTimeoutMs} ms at ${url}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  if (o.auth !== undefined) {
    try {
      await ensureAdminUser(url, o.auth.credentials, o.auth.path)
    } catch (err) {
      return await fail((err as Error).message, err)
    }
  }
  const pid = influxdPid as number
  await writePidfile(o.dataDir, {
    pid,
    startTime: processStartTime(pid),
    url,
    configPath,
    supervisorPid: child.pid,
    startedAt: new Date().toISOString()
  })
  o.log.debug({ pid, supervisorPid: child.pid, url }, 'influxd started')
  return { url, pid, stop }
}

function killGroup(pgid: number | undefined): void {
  if (pgid === undefined) return
  try {
    process.kill(-pgid, 'SIGKILL')
  } catch {
    // already gone
  }
}

async function pingOnce(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1_000) })
    await res.arrayBuffer()
    return res.status === 204
  } catch {
    return false
  }
}
