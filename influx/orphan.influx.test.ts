// The embedded influxd's life with the real influxd: an influxd left behind by a killed node is
// stopped before a new one starts on its data directory, a recycled pid in a stale pidfile is
// left alone, and with auth on nothing is readable without the generated password.
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { processStartTime } from '../lib/procfile.ts'
import { startLocalInfluxd } from './local.ts'
import { loadOrCreateCredentials } from './localAuth.ts'
import { PIDFILE } from './orphan.ts'

const log = pino({ level: 'silent' })
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qingyun-orphan-test-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const alive = (pid: number): boolean => processStartTime(pid) !== undefined
const pgid = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2])

/** Running influxd processes whose config file is the one in dataDir. */
function influxdsOn(dataDir: string): number[] {
  const conf = join(dataDir, 'influxdb.conf')
  const out: number[] = []
  for (const e of readdirProc()) {
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0')
      if (argv[0]?.endsWith('influxd') && argv.includes(conf) && alive(Number(e))) out.push(Number(e))
    } catch {
      /* gone */
    }
  }
  return out
}
function readdirProc(): string[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e))
}

async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`)
  }
}

describe('an influxd left behind', () => {
  it('is stopped (SIGTERM) before a new influxd starts on the same data directory', async () => {
    const dataDir = join(dir, 'orphan')
    const first = await startLocalInfluxd({ dataDir, log })
    onTestFinished(() => first.stop())
    const pidfile = JSON.parse(await readFile(join(dataDir, PIDFILE), 'utf8'))
    expect(pidfile).toMatchObject({ pid: first.pid, url: first.url, startTime: processStartTime(first.pid) })
    // A supervisor killed together with its node (kill -9 of the whole tree but influxd):
    // nothing watches influxd any more, as with an influxd started by an earlier version.
    process.kill(pgid(first.pid), 'SIGKILL')
    await new Promise((r) => setTimeout(r, 300))
    expect(alive(first.pid)).toBe(true)

    const second = await startLocalInfluxd({ dataDir, log })
    onTestFinished(() => second.stop())
    expect(alive(first.pid)).toBe(false)
    expect(influxdsOn(dataDir)).toEqual([second.pid])
    expect((await fetch(`${second.url}/ping`)).status).toBe(204)
    await second.stop()
    expect(influxdsOn(dataDir)).toEqual([])
    await expect(stat(join(dataDir, PIDFILE))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('is stopped by its supervisor when the process that started it is killed with SIGKILL', async () => {
    const dataDir = join(dir, 'killed')
    // A separate node process starts influxd and is then killed -9, like a node in production.
    const starter = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `
      import('${new URL('./local.ts', import.meta.url).pathname}').then(async ({ startLocalInfluxd }) => {
        const log = { debug() {}, info() {}, warn() {}, error() {} }
        const s = await startLocalInfluxd({ dataDir: ${JSON.stringify(dataDir)}, log })
        process.stdout.write('pid ' + s.pid + '\\n')
        setInterval(() => {}, 1000)
      })`
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] }
    )
    onTestFinished(() => {
      starter.kill('SIGKILL')
    })
    let out = ''
    starter.stdout.on('data', (c: Buffer) => {
      out += c.toString()
    })
    await until('influxd started by the child', () => /pid \d+/.test(out), 30_000)
    const pid = Number(/pid (\d+)/.exec(out)![1])
    expect(alive(pid)).toBe(true)
    starter.kill('SIGKILL')
    await until('influxd to exit after its parent was killed', () => !alive(pid))
    expect(influxdsOn(dataDir)).toEqual([])
  })

  it('leaves alone a live process whose pid a stale pidfile names (recycled pid, other start time)', async () => {
    const dataDir = join(dir, 'recycled')
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' })
    onTestFinished(() => {
      bystander.kill('SIGKILL')
    })
    await until('sleep running', () => bystander.pid !== undefined && alive(bystander.pid))
    await mkdir(dataDir, { recursive: true })
    for (const startTime of ['1', processStartTime(bystander.pid!)]) {
      // Wrong start time: a recycled pid. Right start time but not influxd: not ours to stop.
      const stale = { pid: bystander.pid, startTime, url: 'http://127.0.0.1:1' }
      await writeFile(join(dataDir, PIDFILE), JSON.stringify(stale))
      const s = await startLocalInfluxd({ dataDir, log })
      await s.stop()
      expect(alive(bystander.pid!)).toBe(true)
    }
  })
})

describe('auth on the embedded influxd', () => {
  it('refuses queries without the generated password, accepts them with it, across restarts', async () => {
    const dataDir = join(dir, 'auth')
    const credPath = join(dir, 'auth-credentials.json')
    const credentials = await loadOrCreateCredentials(credPath)
    expect((await stat(credPath)).mode & 0o777).toBe(0o600)
    expect(credentials.password.length).toBeGreaterThanOrEqual(32)
    expect(await loadOrCreateCredentials(credPath)).toEqual(credentials)
    const q = (url: string, auth?: string): Promise<Response> =>
      fetch(
        `${url}/query?q=SHOW%20DATABASES`,
        auth ? { headers: { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } } : {}
      )
    for (let run = 0; run < 2; run++) {
      const s = await startLocalInfluxd({ dataDir, log, auth: { credentials, path: credPath } })
      try {
        expect((await q(s.url)).status).toBe(401)
        expect((await q(s.url, `${credentials.username}:wrong`)).status).toBe(401)
        expect((await q(s.url, `${credentials.username}:${credentials.password}`)).status).toBe(200)
      } finally {
        await s.stop()
      }
    }
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700)
    // A password that is not the admin's: a clear error naming the credentials file.
    const other = { username: credentials.username, password: 'not-the-password' }
    await expect(startLocalInfluxd({ dataDir, log, auth: { credentials: other, path: credPath } })).rejects.toThrow(
      /refused the credentials in .*auth-credentials\.json/
    )
    expect(influxdsOn(dataDir)).toEqual([])
  })
})
