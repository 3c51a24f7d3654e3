// A private, real Redis for the cluster tests (docs/conventions.md, rule 12): Debian's `redis-server`
// on a free loopback port, no persistence (no RDB, no AOF), in a temp dir deleted afterwards.
// Never a silent skip: without redis-server the test fails, saying what to install
// (`npm test` installs it: scripts/ensure.sh).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { freePort } from './ports.ts'

export interface TestRedis {
  readonly url: string
  readonly port: number
  /** Stops the server (SIGKILL: what a crash looks like to the nodes). Its data is gone. */
  kill(): Promise<void>
  /** Starts it again on the same port, empty. */
  start(): Promise<void>
  /** Runs a command with redis-cli and returns its output. */
  cli(...args: string[]): string
  stop(): Promise<void>
}

export const REDIS_TEST_REQUIREMENTS =
  "The cluster tests need Debian's redis-server on PATH: `apt-get install -y redis-server` (npm test installs it)."

export function findRedisServer(): string {
  for (const p of ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/usr/sbin/redis-server']) {
    if (existsSync(p)) return p
  }
  const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' })
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim()
  throw new Error(REDIS_TEST_REQUIREMENTS)
}

async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1')
    c.once('connect', () => c.write('PING\r\n'))
    c.once('data', (d) => {
      c.destroy()
      resolve(d.toString().startsWith('+PONG'))
    })
    c.once('error', () => resolve(false))
  })
}

export async function startTestRedis(): Promise<TestRedis> {
  const bin = findRedisServer()
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-redis-'))
  const port = await freePort()
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  let stderr = ''

  async function start(): Promise<void> {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no']
    child = spawn(bin, [...args, '--daemonize', 'no', '--loglevel', 'warning'], { stdio: ['ignore', 'ignore', 'pipe'] })
    child.stderr!.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-4000)
    })
    const c = child
    exited = new Promise((resolve) => c.once('exit', () => resolve()))
    for (const end = Date.now() + 10_000; !(await answers(port)); await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > end || c.exitCode !== null) throw new Error(`redis-server did not start:\n${stderr}`)
    }
  }

  async function kill(): Promise<void> {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
    child = undefined
  }

  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    start,
    cli: (...args) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout.trim(),
    async stop() {
      await kill()
      await rm(dir, { recursive: true, force: true })
    }
  }
}
