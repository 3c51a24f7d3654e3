// startLocalInfluxd with the real influxd (Debian's 1.6.7), plus stand-in executables for the
// failures a healthy influxd will not produce on cue (exits at once, never answers, ignores TERM).
import { readFileSync } from 'node:fs'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InfluxdNotFoundError, InfluxdStartError } from './errors.ts'
import { findInfluxd, influxdConfig, startLocalInfluxd } from './local.ts'

const log = pino({ level: 'silent' })
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qingyun-local-test-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function script(name: string, body: string): Promise<string> {
  const p = join(dir, `${name}.sh`)
  await writeFile(p, `#!/bin/sh\n${body}\n`)
  await chmod(p, 0o755)
  return p
}

describe('startLocalInfluxd', () => {
  it('starts influxd on free loopback ports with its data in dataDir, and stops it', async () => {
    const dataDir = join(dir, 'real')
    const server = await startLocalInfluxd({ dataDir, log })
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const res = await fetch(`${server.url}/ping`)
      expect(res.status).toBe(204)
      expect(res.headers.get('x-influxdb-version')).toMatch(/^1\./)
      const conf = await readFile(join(dataDir, 'influxdb.conf'), 'utf8')
      expect(conf).toContain('reporting-disabled = true')
      expect(conf).toContain(`dir = ${JSON.stringify(join(dataDir, 'meta'))}`)
      expect(conf).toMatch(/^bind-address = "127\.0\.0\.1:\d+"$/m)
      expect(conf).not.toContain(':8088"')
      expect(alive(server.pid)).toBe(true)
      // Its own process group (its supervisor's): a Ctrl-C to ours must not stop it before the
      // last flush. /proc/PID/stat: "pid (comm) state ppid pgrp …"; split after ')'.
      const pgid = (pid: number): string => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]!
      expect(pgid(server.pid)).not.toBe(pgid(process.pid))
      expect(readFileSync(`/proc/${pgid(server.pid)}/cmdline`, 'utf8')).toContain('supervisor.mjs')
    } finally {
      await server.stop()
    }
    expect(alive(server.pid)).toBe(false)
    await server.stop() // idempotent
  })

  it('says what to install when influxd is missing', async () => {
    const err = await startLocalInfluxd({ dataDir: join(dir, 'none'), log, influxdPath: '/nonexistent/influxd' }).catch(
      (e: unknown) => e
    )
    expect(err).toBeInstanceOf(InfluxdNotFoundError)
    expect(err).toMatchObject({ code: 'INFLUX_E_NOT_INSTALLED' })
    expect((err as Error).message).toContain('apt-get install -y influxdb')
    expect((err as Error).message).toContain('QINGYUN_INFLUX_URL')
  })

  it("reports influxd's own words when it cannot bind its port", async () => {
    // Holds the port; hangs up on the readiness probe so that close() need not wait for it.
    const blocker = createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const { port } = blocker.address() as AddressInfo
    try {
      const err = await startLocalInfluxd({ dataDir: join(dir, 'busy'), log, port }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(InfluxdStartError)
      expect((err as Error).message).toMatch(/exited before answering \/ping/)
      expect((err as Error).message).toContain('address already in use')
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()))
    }
  })

  it('includes the last output lines when the executable exits at once', async () => {
    const exe = await script('exits', 'echo "boom: bad config $2" >&2; exit 3')
    const err = await startLocalInfluxd({ dataDir: join(dir, 'exits'), log, influxdPath: exe }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InfluxdStartError)
    expect((err as Error).message).toContain('code 3')
    expect((err as Error).message).toContain('boom: bad config')
    expect((err as InfluxdStartError).stderrTail.some((l) => l.startsWith('boom'))).toBe(true)
  })

  it('gives up after the start timeout and kills what it started', async () => {
    const pidFile = join(dir, 'silent.pid')
    const exe = await script('silent', `echo $$ > ${pidFile}; exec sleep 60`)
    const started = Date.now()
    const err = await startLocalInfluxd({
      dataDir: join(dir, 'silent'),
      log,
      influxdPath: exe,
      startTimeoutMs: 500
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InfluxdStartError)
    expect((err as Error).message).toMatch(/did not answer \/ping with 204 within 500 ms/)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(alive(Number(await readFile(pidFile, 'utf8')))).toBe(false)
  })

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    // Answers /ping on the configured port and ignores SIGTERM.
    const exe = await script(
      'stubborn',
      [
        'port=$(sed -n \'/^\\[http\\]/,/^\\[/ s/^ *bind-address = "127.0.0.1:\\([0-9]*\\)"/\\1/p\' "$2")',
        `exec "${process.execPath}" -e "process.on('SIGTERM',()=>{});require('http').createServer((q,s)=>{s.writeHead(204);s.end()}).listen($port,'127.0.0.1')"`
      ].join('\n')
    )
    const server = await startLocalInfluxd({ dataDir: join(dir, 'stubborn'), log, influxdPath: exe, killAfterMs: 300 })
    expect(alive(server.pid)).toBe(true)
    const started = Date.now()
    await server.stop()
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect(alive(server.pid)).toBe(false)
  })
})

describe('findInfluxd', () => {
  it('finds influxd on PATH or in the usual directories, else undefined', () => {
    expect(findInfluxd()).toMatch(/\/influxd$/)
    expect(findInfluxd('influxd', '')).toMatch(/^\/usr\/(local\/)?s?bin\/influxd$/)
    expect(findInfluxd('qingyun-no-such-binary', '')).toBeUndefined()
    expect(findInfluxd('/nonexistent/influxd')).toBeUndefined()
  })
})

describe('influxdConfig', () => {
  it('escapes paths as TOML strings', () => {
    const conf = influxdConfig({ dataDir: '/tmp/a "b"\\c', httpBind: '127.0.0.1:1', rpcBind: '127.0.0.1:2' })
    expect(conf).toContain('dir = "/tmp/a \\"b\\"\\\\c/meta"')
    expect(conf).toContain('[http]\n  enabled = true\n  bind-address = "127.0.0.1:1"\n  log-enabled = false')
    expect(conf).toContain('[monitor]\n  store-enabled = false')
    expect(conf).toContain('query-log-enabled = false')
  })
})
