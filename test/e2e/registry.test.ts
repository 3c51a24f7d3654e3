// The registry has one way to change it (registry/edit.ts), under a cross-process lock: these
// tests race real `qingyun devices add` processes against admin PUTs on a running node, kill a
// lock holder with SIGKILL, and check that problems come back as data through REST and the CLI.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { access, copyFile, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { main } from '../../cli/main.ts'
import { verifyToken } from '../../registry/tokens.ts'
import { loadRegistry } from '../../registry/load.ts'
import { lockPathOf } from '../../registry/lock.ts'
import { captureStreams } from '../fixtures/streams.ts'
import { type TestSystem, withSystem } from '../harness/system.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const exec = promisify(execFile)

/** `node bin/qingyun.mjs ARGS` against the test system's registry: exit code, stdout, stderr. */
async function cli(
  t: TestSystem,
  args: string[],
  env: Record<string, string> = {}
): Promise<{ code: number; out: string; err: string }> {
  const r = await exec(process.execPath, ['bin/qingyun.mjs', ...args], {
    cwd: root,
    env: { ...process.env, QINGYUN_REGISTRY: t.registryPath, QINGYUN_DATA_DIR: t.dataDir, ...env },
    // Generous: on a loaded machine a tsx start alone can take several seconds.
    timeout: 150_000
  }).then(
    (ok) => ({ code: 0, out: ok.stdout, err: ok.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: e.code ?? -1,
      out: e.stdout ?? '',
      err: e.stderr ?? ''
    })
  )
  return r
}

/** A child process holding the registry lock until it is killed. */
async function lockHolder(registryPath: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/holdRegistryLock.ts', registryPath], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit']
  })
  onTestFinished(() => {
    child.kill('SIGKILL')
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      if (b.toString().includes('locked')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)))
  })
  return child
}

const square = (x: number) => [
  [120.3 + x, 31.5],
  [120.31 + x, 31.5],
  [120.31 + x, 31.51],
  [120.3 + x, 31.51]
]

describe('registry changes from many processes', () => {
  it('keeps every change when CLI processes race admin PUTs on a running node', async () => {
    const t = await withSystem()
    const admin = await t.token('admin')
    const N = 5
    let cliRunning = true
    const cliRuns = Promise.all(
      Array.from({ length: N }, (_, i) =>
        cli(t, ['devices', 'add', `race-wb-${i}`, '--type', 'weighbridge', '--site', 'ts-1'])
      )
    ).finally(() => {
      cliRunning = false
    })
    // Admin changes keep coming, three streams of them, for as long as the CLI processes run.
    const zones: string[] = []
    const statuses: number[] = []
    const putter = async (): Promise<void> => {
      while (cliRunning || zones.length < 8) {
        const id = `race-z-${zones.length}`
        zones.push(id)
        const body = { name: id, polygon: square(zones.length / 100), windows: [] }
        await new Promise((resolve) => setTimeout(resolve, 20))
        statuses.push(
          (
            await t.api(`/api/v1/admin/zones/${id}`, admin, {
              method: 'PUT',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(body)
            })
          ).status
        )
      }
    }
    const [runs] = await Promise.all([cliRuns, putter(), putter(), putter()])

    for (const r of runs) expect(r, r.err).toMatchObject({ code: 0 })
    expect(statuses.every((s) => s === 200)).toBe(true)
    const final = await loadRegistry(t.registryPath)
    expect(final.devices.map((d) => d.id)).toEqual(
      expect.arrayContaining(Array.from({ length: N }, (_, i) => `race-wb-${i}`))
    )
    expect((final.zones ?? []).map((z) => z.id).sort()).toEqual([...zones].sort())
    await expect(access(lockPathOf(t.registryPath))).rejects.toMatchObject({ code: 'ENOENT' })
    // The running node's hot reload saw the CLI's devices too.
    await vi.waitFor(() => expect(t.system.registry.device(`race-wb-${N - 1}`)).toBeDefined(), {
      timeout: 10_000,
      interval: 50
    })
  }, 300_000)

  it('recovers a lock whose holder was killed, and names a live holder after the bounded wait', async () => {
    const t = await withSystem({ env: { QINGYUN_REGISTRY_LOCK_WAIT_MS: '300' } })
    const holder = await lockHolder(t.registryPath)

    const blocked = await cli(t, ['devices', 'add', 'wb-late', '--type', 'weighbridge', '--site', 'ts-1'], {
      QINGYUN_REGISTRY_LOCK_WAIT_MS: '300'
    })
    expect(blocked.code).toBe(1)
    expect(blocked.err).toContain(`locked by pid ${holder.pid}`)
    expect(blocked.err).toContain('REGISTRY_E_LOCKED')
    const admin = await t.token('admin')
    const put = await t.api('/api/v1/admin/rules', admin, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ binNeedsServicePct: 70 })
    })
    expect(put.status).toBe(503)
    expect(put.body).toMatchObject({
      error: { code: 'API_E_UNAVAILABLE', message: expect.stringContaining(`pid ${holder.pid}`) }
    })
    expect((await loadRegistry(t.registryPath)).devices.some((d) => d.id === 'wb-late')).toBe(false)

    // SIGKILL: no cleanup runs, the lock file stays behind with a dead pid in it.
    const exited = new Promise((resolve) => holder.once('exit', resolve))
    holder.kill('SIGKILL')
    await exited
    expect(JSON.parse(await readFile(lockPathOf(t.registryPath), 'utf8'))).toMatchObject({ pid: holder.pid })

    const added = await cli(t, ['devices', 'add', 'wb-late', '--type', 'weighbridge', '--site', 'ts-1'], {
      QINGYUN_REGISTRY_LOCK_WAIT_MS: '300'
    })
    expect(added, added.err).toMatchObject({ code: 0 })
    expect((await loadRegistry(t.registryPath)).devices.some((d) => d.id === 'wb-late')).toBe(true)
    const patched = await t.api('/api/v1/admin/rules', admin, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ binNeedsServicePct: 70 })
    })
    expect(patched.status).toBe(200)
    await expect(access(lockPathOf(t.registryPath))).rejects.toMatchObject({ code: 'ENOENT' })
  }, 60_000)

  it('returns problems as data: REST issues naming the body field, the CLI one per line', async () => {
    const t = await withSystem()
    const admin = await t.token('admin')
    const before = await readFile(t.registryPath, 'utf8')
    const zone = await t.api('/api/v1/admin/zones/old-town', admin, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'x',
        polygon: [
          [120.3, 31.5],
          [120.3, 31.5],
          [120.3, 31.5]
        ],
        windows: [{ vehicleTypes: ['compactor'], from: '08:00', to: '08:00' }]
      })
    })
    expect(zone.status).toBe(400)
    expect(zone.body).toMatchObject({
      error: {
        code: 'API_E_VALIDATION',
        details: {
          issues: [
            { in: 'body', path: 'polygon', message: 'needs at least three distinct points (id "old-town")' },
            {
              in: 'body',
              path: 'windows.0',
              message: 'from and to are both 08:00; a window must not be empty (id "old-town")'
            }
          ]
        }
      }
    })
    const rules = await t.api('/api/v1/admin/rules', admin, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ binOverflowPct: 50 })
    })
    expect(rules.status).toBe(400)
    expect(rules.body).toMatchObject({
      error: {
        details: {
          issues: [
            {
              in: 'body',
              path: '',
              message: 'rules.binNeedsServicePct: binNeedsServicePct (80) must not exceed binOverflowPct (50)'
            }
          ]
        }
      }
    })

    const r = await cli(t, ['devices', 'add', 'wb-1', '--type', 'weighbridge', '--site', 'nope'])
    expect(r.code).toBe(1)
    expect(r.err.trimEnd().split('\n')).toEqual([
      'the registry refused the change:',
      'devices[5].id: duplicate id "wb-1", already used by devices[0]',
      'devices[5].siteId: site "nope" does not exist (id "wb-1")'
    ])
    expect(await readFile(t.registryPath, 'utf8')).toBe(before)
  }, 60_000)

  it('sim provision takes the lock too: refused while a live process holds it, done once it is gone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qingyun-provision-'))
    onTestFinished(() => rm(dir, { recursive: true, force: true }))
    const registryPath = join(dir, 'registry.json')
    await copyFile(new URL('../../registry/testdata/tiny.json', import.meta.url), registryPath)
    const provision = async () => {
      const io = captureStreams()
      const env = { QINGYUN_REGISTRY: registryPath, QINGYUN_REGISTRY_LOCK_WAIT_MS: '300', QINGYUN_LOG_LEVEL: 'silent' }
      const code = await main(['sim', 'provision', '--devices', '12', '--out-credentials', join(dir, 'load.json')], {
        env,
        stdout: io.stdout,
        stderr: io.stderr
      })
      return { code, err: io.err() }
    }
    const holder = await lockHolder(registryPath)
    const refused = await provision()
    expect(refused.code).toBe(1)
    expect(refused.err).toContain(`locked by pid ${holder.pid}`)
    expect((await loadRegistry(registryPath)).devices).toHaveLength(3)

    const exited = new Promise((resolve) => holder.once('exit', resolve))
    holder.kill('SIGKILL')
    await exited
    expect(await provision()).toMatchObject({ code: 0 })
    const registry = await loadRegistry(registryPath)
    const credentials = JSON.parse(await readFile(join(dir, 'load.json'), 'utf8')) as Record<string, string>
    const load = registry.devices.filter((d) => d.id.startsWith('load-'))
    expect(load).toHaveLength(12)
    for (const d of load) expect(verifyToken(d.tokenHash, credentials[d.id]!)).toBe(true)
  }, 60_000)
})
