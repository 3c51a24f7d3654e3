import { execFile } from 'node:child_process'
import { copyFile, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Registry } from '../contracts/registry.ts'
import { createRegistry, createRegistryEditor, editRegistry } from './edit.ts'
import { loadRegistry } from './load.ts'
import { lockPathOf, processStartTime } from './lock.ts'

const device = (id: string) => ({ id, type: 'weighbridge' as const, siteId: 'ts-lx-01', enabled: true })
const addDevice =
  (id: string) =>
  (r: Registry): Registry => ({ ...r, devices: [...r.devices, device(id)] })

describe('editRegistry', () => {
  let dir: string
  let path: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qingyun-edit-'))
    path = join(dir, 'registry.json')
    await copyFile(new URL('./testdata/tiny.json', import.meta.url), path)
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  const ids = async () => (await loadRegistry(path)).devices.map((d) => d.id)
  const lockWith = async (holder: object, ageMs = 0) => {
    await writeFile(lockPathOf(path), JSON.stringify(holder))
    const t = (Date.now() - ageMs) / 1000
    await utimes(lockPathOf(path), t, t)
  }

  it('keeps every one of many concurrent edits in one process, with or without an editor', async () => {
    const editor = createRegistryEditor(path)
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => editRegistry(path, addDevice(`one-shot-${i}`))),
      ...Array.from({ length: 10 }, (_, i) => editor.edit(addDevice(`queued-${i}`)))
    ])
    const all = await ids()
    expect(all).toHaveLength(3 + 20)
    expect(all).toEqual(expect.arrayContaining(['one-shot-0', 'one-shot-9', 'queued-0', 'queued-9']))
    expect(await readdir(dir)).toEqual(['registry.json'])
  })

  it('writes nothing and releases the lock when the change is refused, invalid or throws', async () => {
    const before = await readFile(path, 'utf8')
    await expect(editRegistry(path, () => ({ problems: [{ path: 'devices', message: 'no' }] }))).rejects.toMatchObject({
      code: 'REGISTRY_E_INVALID',
      source: undefined,
      problems: [{ path: 'devices', message: 'no' }]
    })
    await expect(editRegistry(path, addDevice('wb-ts-lx-01'))).rejects.toMatchObject({
      code: 'REGISTRY_E_INVALID',
      problems: [{ path: 'devices[3].id', message: 'duplicate id "wb-ts-lx-01", already used by devices[0]' }]
    })
    await expect(
      editRegistry(path, () => {
        throw new Error('boom')
      })
    ).rejects.toThrow('boom')
    expect(await readFile(path, 'utf8')).toBe(before)
    expect(await readdir(dir)).toEqual(['registry.json'])
    const same = await editRegistry(path, (r) => r)
    expect(same.changed).toBe(false)
  })

  it('recovers a lock whose process is gone, or whose pid now runs another process', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
    await lockWith({
      pid: Number(stdout),
      startTime: null,
      hostname: hostname(),
      acquiredAt: new Date().toISOString(),
      nonce: 'x'
    })
    await editRegistry(path, addDevice('after-dead'), { waitMs: 200 })
    // Our own pid, but a start time that is not ours: the pid was reused by another process.
    const startTime = processStartTime(process.pid)
    if (startTime !== null) {
      await lockWith({
        pid: process.pid,
        startTime: `${startTime}0`,
        hostname: hostname(),
        acquiredAt: new Date().toISOString(),
        nonce: 'y'
      })
      await editRegistry(path, addDevice('after-reused'), { waitMs: 200 })
    }
    expect(await ids()).toEqual(expect.arrayContaining(['after-dead', ...(startTime !== null ? ['after-reused'] : [])]))
  })

  it('waits a bounded time for a live holder on another host, naming it, and takes over a lock older than the stale bound', async () => {
    const holder = {
      pid: 4242,
      startTime: '1',
      hostname: 'elsewhere',
      acquiredAt: '2026-12-02T03:00:00.000Z',
      nonce: 'z'
    }
    await lockWith(holder)
    const err = await editRegistry(path, addDevice('blocked'), { waitMs: 150, staleMs: 60_000 }).catch(
      (e: unknown) => e
    )
    expect(err).toMatchObject({
      code: 'REGISTRY_E_LOCKED',
      holder,
      message: expect.stringContaining('pid 4242 on elsewhere since 2026-12-02T03:00:00.000Z')
    })
    await lockWith(holder, 120_000)
    await editRegistry(path, addDevice('after-stale'), { waitMs: 150, staleMs: 60_000 })
    // A lock file created but never written (its creator died at once) ages out the same way.
    await writeFile(lockPathOf(path), '')
    await expect(editRegistry(path, addDevice('x'), { waitMs: 100 })).rejects.toMatchObject({
      code: 'REGISTRY_E_LOCKED',
      holder: undefined
    })
    await lockWith({}, 120_000)
    await editRegistry(path, addDevice('after-empty'), { waitMs: 100, staleMs: 60_000 })
    expect(await ids()).toEqual(expect.arrayContaining(['after-stale', 'after-empty']))
    expect(await ids()).not.toContain('blocked')
  })

  it('keeps a lock its live holder holds longer than the stale bound (the holder refreshes it)', async () => {
    const opts = { staleMs: 200, waitMs: 5_000 }
    const slow = editRegistry(
      path,
      async (r) => {
        await new Promise((resolve) => setTimeout(resolve, 800))
        return addDevice('slow')(r)
      },
      opts
    )
    await new Promise((resolve) => setTimeout(resolve, 50))
    const waiting = editRegistry(path, addDevice('waiting'), opts)
    await expect(slow).resolves.toMatchObject({ changed: true })
    await expect(waiting).resolves.toMatchObject({ changed: true })
    expect(await ids()).toEqual(expect.arrayContaining(['slow', 'waiting']))
  })

  it('refuses to write when its lock was taken over meanwhile', async () => {
    const before = await readFile(path, 'utf8')
    const err = await editRegistry(path, async (r) => {
      await writeFile(
        lockPathOf(path),
        JSON.stringify({ pid: 1, startTime: null, hostname: 'other', acquiredAt: '', nonce: 'theirs' })
      )
      return addDevice('late')(r)
    }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'REGISTRY_E_IO', message: expect.stringContaining('taken over') })
    expect(await readFile(path, 'utf8')).toBe(before)
  })

  it('createRegistry writes only when there is no file yet', async () => {
    const fresh = join(dir, 'sub', 'new.json')
    const r = await loadRegistry(path)
    expect(await createRegistry(fresh, async () => r)).toBe(true)
    expect(await createRegistry(fresh, async () => addDevice('never')(r))).toBe(false)
    expect((await loadRegistry(fresh)).devices).toHaveLength(3)
  })
})
