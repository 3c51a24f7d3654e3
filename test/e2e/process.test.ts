// `qingyun start` as a real process (bin/qingyun.mjs, embedded influxd): kill -9, a second start
// on the same data dir, busy ports, Ctrl-C / SIGTERM directly and through npx / npm, and the
// last-resort handlers for uncaught exceptions and unhandled rejections.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { SEMI_SPACE_MIB } from '../../node/heap.ts'
import { alive, lockHolder, makeDataDir, nodesOn, processesOn, REPO, spawnNode, until } from '../harness/node.ts'

const influxdOn = (dataDir: string): number[] => processesOn(dataDir, /^[^\0]*\/influxd\0/)
const influxUrlOf = (err: string): string => /InfluxDB\s+(http:\S+)/.exec(err)![1]!
const httpUrlOf = (err: string): string => /operations page\s+(http:\S+?)\/?\n/.exec(err)![1]!

async function blockPort(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.destroy())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { server, port: (server.address() as { port: number }).port }
}

/** A clean stop: exit code, "stopping" logged, no influxd nor supervisor left, lock released. */
async function expectCleanStop(node: ReturnType<typeof spawnNode>, code: number): Promise<void> {
  expect(await node.exited).toBe(code)
  expect(node.logs().some((l) => l.msg === 'stopping')).toBe(true)
  await until('influxd and its supervisor gone', () => processesOn(node.dataDir).length === 0)
  expect(existsSync(path.join(node.dataDir, 'qingyun.lock'))).toBe(false)
}

describe('qingyun start, the process', { timeout: 120_000 }, () => {
  it('kill -9 of the node takes its influxd down, and the next start recovers the data dir', async () => {
    const dataDir = await makeDataDir()
    const first = spawnNode(dataDir)
    await first.ready()
    const [influxd] = influxdOn(dataDir)
    expect(influxd).toBeDefined()
    process.kill(first.child.pid!, 'SIGKILL')
    await first.exited
    await until('the orphaned influxd to stop', () => !alive(influxd!))
    // The lock of the killed node is stale: the next start takes it over.
    expect(existsSync(path.join(dataDir, 'qingyun.lock'))).toBe(true)
    const second = spawnNode(dataDir)
    await second.ready()
    expect(influxdOn(dataDir)).toHaveLength(1)
    expect(lockHolder(dataDir)).toBe(second.child.pid)
    process.kill(second.child.pid!, 'SIGTERM')
    await expectCleanStop(second, 0)
  })

  it('a second start on the same data dir refuses, naming the running one; the first keeps serving', async () => {
    const dataDir = await makeDataDir()
    const first = spawnNode(dataDir)
    await first.ready()
    const second = spawnNode(dataDir)
    expect(await second.exited).toBe(1)
    expect(second.err()).toContain(`another qingyun start (pid ${first.child.pid}`)
    expect(second.err()).toContain(dataDir)
    expect(influxdOn(dataDir)).toHaveLength(1)
    expect((await fetch(`${httpUrlOf(first.err())}/healthz`)).status).toBe(200)
    // Started as npm start starts it, with the young generation of node/heap.ts.
    const ready = (await (await fetch(`${httpUrlOf(first.err())}/readyz`)).json()) as {
      details: { process: { semiSpaceMiB: number | null } }
    }
    expect(ready.details.process.semiSpaceMiB).toBe(SEMI_SPACE_MIB)
    expect(first.out()).not.toContain('--max-semi-space-size')
    process.kill(first.child.pid!, 'SIGTERM')
    await expectCleanStop(first, 0)
  })

  for (const variable of ['QINGYUN_MQTT_PORT', 'QINGYUN_MQTT_WS_PORT', 'QINGYUN_HTTP_PORT']) {
    it(`exits 1 naming ${variable} when its port is taken, leaving nothing running`, async () => {
      const dataDir = await makeDataDir()
      const { port } = await blockPort()
      const node = spawnNode(dataDir, { env: { [variable]: String(port) } })
      const hung = new Promise((resolve) => setTimeout(() => resolve('still running after 60 s'), 60_000).unref())
      const code = await Promise.race([node.exited, hung])
      expect(code).toBe(1)
      expect(node.err()).toContain(`${variable}=${port}: port ${port} on 127.0.0.1 is already in use`)
      expect(processesOn(dataDir)).toEqual([])
      expect(existsSync(path.join(dataDir, 'qingyun.lock'))).toBe(false)
    })
  }

  it('Ctrl-C (SIGINT to the foreground group) stops cleanly; influxd, in its own group, is stopped last', async () => {
    const dataDir = await makeDataDir()
    const node = spawnNode(dataDir)
    await node.ready()
    const influxUrl = influxUrlOf(node.err())
    process.kill(-node.child.pid!, 'SIGINT')
    await expectCleanStop(node, 0)
    // The writer's last flush went to a live influxd: no write error was logged while stopping.
    expect(node.logs().filter((l) => (l.level as number) >= 50)).toEqual([])
    await expect(fetch(`${influxUrl}/ping`)).rejects.toThrow()
  })

  it('the embedded influxd refuses logins other than the one in the data dir (mode 0600, dir 0700)', async () => {
    const dataDir = await makeDataDir()
    const node = spawnNode(dataDir)
    await node.ready()
    const credFile = path.join(dataDir, 'influxd-credentials.json')
    expect(node.err()).toContain(credFile)
    expect(statSync(credFile).mode & 0o777).toBe(0o600)
    expect(statSync(dataDir).mode & 0o777).toBe(0o700)
    const { username, password } = JSON.parse(readFileSync(credFile, 'utf8')) as { username: string; password: string }
    const url = `${influxUrlOf(node.err())}/query?q=${encodeURIComponent('SHOW DATABASES')}`
    expect((await fetch(url)).status).toBe(401)
    const basic = Buffer.from(`${username}:${password}`).toString('base64')
    const ok = await fetch(url, { headers: { Authorization: `Basic ${basic}` } })
    expect(ok.status).toBe(200)
    expect(await ok.text()).toContain('qingyun')
    process.kill(node.child.pid!, 'SIGTERM')
    await expectCleanStop(node, 0)
  })

  it('npm start takes the young generation from QINGYUN_SEMI_SPACE_MIB and refuses a bad one before starting anything', async () => {
    const dataDir = await makeDataDir()
    const startSh = (mib: string): ReturnType<typeof spawnNode> =>
      spawnNode(dataDir, { command: 'bash', args: ['scripts/start.sh'], env: { QINGYUN_SEMI_SPACE_MIB: mib } })
    const bad = startSh('64M')
    expect(await bad.exited).toBe(2)
    expect(bad.err()).toContain("QINGYUN_SEMI_SPACE_MIB must be a whole number of MiB from 1 to 1024 (got '64M')")
    expect(processesOn(dataDir)).toEqual([])

    const semiSpaceOf = async (node: ReturnType<typeof spawnNode>): Promise<number | null> => {
      const res = await fetch(`${httpUrlOf(node.err())}/readyz`)
      return ((await res.json()) as { details: { process: { semiSpaceMiB: number | null } } }).details.process
        .semiSpaceMiB
    }
    const node = startSh('32')
    await node.ready()
    expect(await semiSpaceOf(node)).toBe(32)
    expect(node.out()).not.toContain('--max-semi-space-size')
    process.kill(node.child.pid!, 'SIGTERM')
    await expectCleanStop(node, 0)

    // Started by hand with another flag than the variable says: it runs with the flag, and says so.
    const byHand = spawnNode(dataDir, { env: { QINGYUN_SEMI_SPACE_MIB: '32' } })
    await byHand.ready()
    expect(await semiSpaceOf(byHand)).toBe(SEMI_SPACE_MIB)
    expect(
      byHand.logs().find((l) => l.level === 40 && /another --max-semi-space-size/.test(String(l.msg)))
    ).toMatchObject({ semiSpaceMiB: SEMI_SPACE_MIB, QINGYUN_SEMI_SPACE_MIB: 32 })
    process.kill(byHand.child.pid!, 'SIGTERM')
    await expectCleanStop(byHand, 0)
  })

  for (const [how, command, args] of [
    ['npx qingyun start', 'npx', ['--no-install', 'qingyun', 'start']],
    [
      'an npm script (npm exec -c, as npm start runs scripts/start.sh)',
      'npm',
      ['exec', '-c', 'node bin/qingyun.mjs start']
    ]
  ] as const) {
    it(`SIGTERM to ${how} stops the node cleanly`, async () => {
      const dataDir = await makeDataDir()
      const launcher = spawnNode(dataDir, { command, args: [...args] })
      await launcher.ready()
      const [node, ...more] = nodesOn(dataDir)
      expect(more).toEqual([])
      expect(node).not.toBe(launcher.child.pid)
      process.kill(launcher.child.pid!, 'SIGTERM')
      await until('the node itself to exit', () => !alive(node!), 40_000)
      expect(launcher.out()).toContain('"msg":"stopping"')
      await until('influxd and its supervisor gone', () => processesOn(dataDir).length === 0)
      expect(existsSync(path.join(dataDir, 'qingyun.lock'))).toBe(false)
    })
  }

  it('an unhandled rejection is logged and counted, the node serves on; an uncaught exception stops it, exit 1', async () => {
    const dataDir = await makeDataDir()
    const preload = path.join(REPO, 'test/fixtures/faults-preload.mjs')
    const node = spawnNode(dataDir, { env: { NODE_OPTIONS: `--import ${preload}` } })
    await node.ready()
    const api = httpUrlOf(node.err())
    for (let i = 1; i <= 2; i++) {
      process.kill(node.child.pid!, 'SIGWINCH')
      await until(`rejection ${i} logged`, () => node.logs().some((l) => l.unhandledRejections === i))
    }
    const rejection = node.logs().find((l) => l.unhandledRejections === 2)!
    expect(rejection).toMatchObject({ level: 50, msg: 'unhandled promise rejection; the node keeps serving' })
    expect((rejection.err as { stack: string }).stack).toContain('injected unhandled rejection')
    expect((await fetch(`${api}/healthz`)).status).toBe(200)

    process.kill(node.child.pid!, 'SIGUSR2')
    await expectCleanStop(node, 1)
    const fatal = node.logs().find((l) => l.level === 60)!
    expect(fatal.msg).toBe('uncaught exception; stopping the node')
    expect((fatal.err as { stack: string }).stack).toMatch(/injected uncaught exception\n\s+at /)
  })
})
