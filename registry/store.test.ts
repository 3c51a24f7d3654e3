import { Writable } from 'node:stream'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Registry } from '../contracts/registry.ts'
import { saveRegistry } from './load.ts'
import { createRegistryStore } from './store.ts'
import type { RegistryStore } from './store.ts'

interface LogEntry {
  level: number
  msg: string
  [key: string]: unknown
}

/** A real pino logger writing into memory, with a way to await a particular entry. */
function captureLog() {
  const entries: LogEntry[] = []
  const waiters: { match: (e: LogEntry) => boolean; resolve: (e: LogEntry) => void }[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as LogEntry
        entries.push(entry)
        for (const w of waiters.filter((w) => w.match(entry))) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve(entry)
        }
      }
      done()
    }
  })
  return {
    log: pino({ level: 'debug' }, stream),
    entries,
    next: (match: (e: LogEntry) => boolean) => new Promise<LogEntry>((resolve) => waiters.push({ match, resolve }))
  }
}

function nextChange(store: RegistryStore) {
  return new Promise<{ next: Registry; prev: Registry }>((resolve) => {
    const off = store.onChange((next, prev) => {
      off()
      resolve({ next, prev })
    })
  })
}

describe('createRegistryStore', () => {
  let dir: string
  let path: string
  let base: Registry
  let store: RegistryStore | undefined

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qingyun-store-'))
    path = join(dir, 'registry.json')
    base = JSON.parse(await readFile(new URL('./testdata/tiny.json', import.meta.url), 'utf8')) as Registry
    await saveRegistry(path, base)
  })
  afterEach(async () => {
    await store?.close()
    store = undefined
    await rm(dir, { recursive: true, force: true })
  })

  const withBin = (r: Registry, id: string): Registry => ({
    ...r,
    bins: [...r.bins, { ...r.bins[0]!, id }],
    devices: [...r.devices, { id: `fs-${id}`, type: 'fill-sensor', binId: id, enabled: true }]
  })

  it('serves O(1) lookups of the loaded registry', async () => {
    const { log } = captureLog()
    store = await createRegistryStore({ path, log })
    expect(store.current()).toEqual(base)
    expect(store.device('wb-ts-lx-01')).toMatchObject({ type: 'weighbridge', siteId: 'ts-lx-01' })
    expect(store.site('ts-lx-01')?.capacityTpd).toBe(300)
    expect(store.bin('bin-lx-0001')?.stream).toBe('kitchen')
    expect(store.vehicle('veh-lx-001')?.plate).toBe('苏B12345')
    expect(store.service('nobody')).toBeUndefined()
    expect(store.device('nobody')).toBeUndefined()
  })

  it('fails at start on an invalid file', async () => {
    await writeFile(path, '{}')
    await expect(createRegistryStore({ path, log: captureLog().log })).rejects.toMatchObject({
      code: 'REGISTRY_E_INVALID'
    })
  })

  it('reloads when the file is replaced', async () => {
    store = await createRegistryStore({ path, log: captureLog().log })
    const changed = nextChange(store)
    await saveRegistry(path, withBin(base, 'bin-new'))
    const { next, prev } = await changed
    expect(prev).toEqual(base)
    expect(next.bins.map((b) => b.id)).toEqual(['bin-lx-0001', 'bin-new'])
    expect(store.current()).toBe(next)
    expect(store.device('fs-bin-new')?.binId).toBe('bin-new')
  })

  it('notices an in-place write too', async () => {
    store = await createRegistryStore({ path, log: captureLog().log })
    const changed = nextChange(store)
    await writeFile(path, JSON.stringify(withBin(base, 'bin-inplace')))
    expect((await changed).next.bins).toHaveLength(2)
  })

  it('keeps the previous registry and logs the problems when the new file is invalid', async () => {
    const { log, next } = captureLog()
    store = await createRegistryStore({ path, log })
    const rejected = next((e) => e.msg === 'registry change rejected; keeping the previous registry')
    const broken = withBin(base, 'bin-2')
    broken.devices.push({ id: 'wb-bad', type: 'weighbridge', siteId: 'ts-zz', enabled: true })
    await writeFile(path, JSON.stringify(broken))
    const entry = await rejected
    expect(entry.level).toBe(50)
    expect(entry.code).toBe('REGISTRY_E_INVALID')
    expect(entry.problems).toEqual([
      { path: 'devices[4].siteId', message: 'site "ts-zz" does not exist (id "wb-bad")' }
    ])
    expect(store.current()).toEqual(base)
    expect(store.bin('bin-2')).toBeUndefined()

    // A later valid file is picked up again.
    const changed = nextChange(store)
    await saveRegistry(path, withBin(base, 'bin-3'))
    expect((await changed).next.bins.map((b) => b.id)).toContain('bin-3')
  })

  it('falls back to polling when directory watching is off', async () => {
    store = await createRegistryStore({ path, log: captureLog().log, watch: false, pollMs: 20 })
    const changed = nextChange(store)
    await saveRegistry(path, withBin(base, 'bin-polled'))
    expect((await changed).next.bins.map((b) => b.id)).toContain('bin-polled')
  })

  it('ignores a rewrite with the same content, and isolates a failing listener', async () => {
    const { log, next } = captureLog()
    store = await createRegistryStore({ path, log, watch: false, pollMs: 60_000 })
    await saveRegistry(path, base)
    expect(await store.reload()).toBe(false)

    const failed = next((e) => e.msg === 'registry change listener failed')
    store.onChange(() => {
      throw new Error('listener bug')
    })
    const changed = nextChange(store)
    await saveRegistry(path, withBin(base, 'bin-4'))
    expect(await store.reload()).toBe(true)
    expect((await changed).next.bins).toHaveLength(2)
    expect((await failed).level).toBe(50)
  })

  it('stops reloading once closed', async () => {
    store = await createRegistryStore({ path, log: captureLog().log, watch: false, pollMs: 60_000 })
    await store.close()
    await saveRegistry(path, withBin(base, 'bin-late'))
    expect(await store.reload()).toBe(false)
    expect(store.current()).toEqual(base)
  })
})
