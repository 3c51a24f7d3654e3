// A real `qingyun start` (bin/qingyun.mjs) as a child process, with the embedded influxd, a temp
// data dir, free ports and the small test registry: for tests of the process itself (signals,
// kill -9, locks, ports), which an in-process startSystem cannot show.
import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'
import { processStartTime } from '../../lib/procfile.ts'
import { saveRegistry } from '../../registry/load.ts'
import { testRegistry } from '../fixtures/registry.ts'
import { NODE_START_FLAGS } from '../../node/heap.ts'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = path.join(REPO, 'bin/qingyun.mjs')

export interface NodeProcess {
  readonly child: ChildProcess
  readonly dataDir: string
  out(): string
  err(): string
  /** Resolves with the exit code (128 + n for signal n); never rejects. */
  readonly exited: Promise<number>
  /** Waits for the "is running" banner; throws with the output if the process exits first. */
  ready(): Promise<void>
  /** Lines of the JSON log (stdout). */
  logs(): Array<Record<string, unknown>>
}

export const alive = (pid: number): boolean => processStartTime(pid) !== undefined

/** Running influxd processes (and their supervisors) whose command line names dataDir. */
export function processesOn(dataDir: string, pattern = /influxd|supervisor\.mjs/): number[] {
  const out: number[] = []
  for (const e of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8')
      if (cmd.includes(dataDir) && pattern.test(cmd) && alive(Number(e))) out.push(Number(e))
    } catch {
      /* gone */
    }
  }
  return out
}

/**
 * Polls `cond` until it holds. A condition that throws or rejects (a node restarting refuses
 * connections) counts as not yet; the timeout's error names the last such failure.
 */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  let failure: unknown
  const holds = async (): Promise<boolean> => {
    try {
      return await cond()
    } catch (err) {
      failure = err
      return false
    }
  }
  for (const end = Date.now() + ms; !(await holds()); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > end) {
      const last = failure === undefined ? '' : ` (last failure: ${(failure as Error).message ?? String(failure)})`
      throw new Error(`timed out after ${ms} ms waiting for: ${what}${last}`)
    }
  }
}

export async function makeDataDir(): Promise<string> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-proc-'))
  onTestFinished(async () => {
    // A node a failing test left behind (e.g. orphaned by its launcher) must not outlive the run.
    for (const pid of nodesOn(dataDir)) process.kill(pid, 'SIGKILL')
    await until('no influxd left on the test data dir', () => processesOn(dataDir).length === 0).catch(() => {
      for (const pid of processesOn(dataDir)) process.kill(pid, 'SIGKILL')
    })
    await rm(dataDir, { recursive: true, force: true })
  })
  await saveRegistry(path.join(dataDir, 'registry.json'), testRegistry().registry)
  return dataDir
}

/** Environment for a node on dataDir; npm_* variables removed (they switch on the parent watch). */
export function nodeEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') && !k.startsWith('QINGYUN_'))
  )
  return {
    ...env,
    QINGYUN_DATA_DIR: dataDir,
    QINGYUN_REGISTRY: path.join(dataDir, 'registry.json'),
    QINGYUN_BIND_HOST: '127.0.0.1',
    QINGYUN_MQTT_PORT: '0',
    QINGYUN_MQTT_WS_PORT: '0',
    QINGYUN_HTTP_PORT: '0',
    QINGYUN_LOG_LEVEL: 'info',
    ...extra
  }
}

/** Spawns `command args` (default: node bin/qingyun.mjs start) in its own process group. */
export function spawnNode(
  dataDir: string,
  o: { env?: Record<string, string>; command?: string; args?: string[] } = {}
): NodeProcess {
  const child = spawn(o.command ?? process.execPath, o.args ?? [...NODE_START_FLAGS, BIN, 'start'], {
    cwd: REPO,
    env: nodeEnv(dataDir, o.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own group, as a shell gives a foreground job: "Ctrl-C" is SIGINT to the group.
    detached: true
  })
  let out = ''
  let err = ''
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString()
  })
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString()
  })
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0)))
  })
  let done: number | undefined
  void exited.then((c) => {
    done = c
  })
  onTestFinished(async () => {
    if (done === undefined && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        /* gone */
      }
    }
  })
  return {
    child,
    dataDir,
    out: () => out,
    err: () => err,
    exited,
    async ready() {
      await until('the "is running" banner', () => err.includes('is running') || done !== undefined, 60_000)
      if (!err.includes('is running')) throw new Error(`qingyun start exited with ${done}:\n${err}\n${out}`)
    },
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
  }
}

/** The pid of the node holding dataDir's lock (`qingyun start` itself, not a launcher). */
export function lockHolder(dataDir: string): number {
  return (JSON.parse(readFileSync(path.join(dataDir, 'qingyun.lock'), 'utf8')) as { pid: number }).pid
}

/** `qingyun start` node processes on dataDir, found from /proc (argv and environment). */
export function nodesOn(dataDir: string): number[] {
  const out: number[] = []
  for (const e of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0')
      if (!/(^|\/)node$/.test(argv[0] ?? '') || !/qingyun(\.mjs)?$/.test(argv[1] ?? '') || argv[2] !== 'start') continue
      const environ = readFileSync(`/proc/${e}/environ`, 'utf8').split('\0')
      if (environ.includes(`QINGYUN_DATA_DIR=${dataDir}`) && alive(Number(e))) out.push(Number(e))
    } catch {
      /* gone */
    }
  }
  return out
}
