// The live registry of a process: loaded at start, reloaded when the file changes.
//
// Change detection uses fs.watch on the directory (a file watch would lose track of the file
// once it is replaced by rename, which is how saveRegistry and most editors write) plus an
// mtime/size/inode poll, because fs.watch is unreliable on network and container-mounted file
// systems. Both only schedule a debounced, serialised re-read; unchanged content is ignored.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { Logger } from 'pino'
import type { Bin, Device, Registry, ServiceAccount, Site, Vehicle } from '../contracts/registry.ts'
import { type EditResult, type RegistryEdit, createRegistryEditor } from './edit.ts'
import { RegistryError, RegistryIoError } from './errors.ts'
import type { LockOptions } from './lock.ts'
import { parseRegistry } from './validate.ts'
import { watchFile } from '../lib/watchFile.ts'

export type RegistryListener = (next: Registry, prev: Registry) => void

export interface RegistryStore {
  current(): Registry
  device(id: string): Device | undefined
  site(id: string): Site | undefined
  bin(id: string): Bin | undefined
  vehicle(id: string): Vehicle | undefined
  service(id: string): ServiceAccount | undefined
  /** Called after a new, valid registry replaced the previous one. Returns an unsubscribe. */
  onChange(listener: RegistryListener): () => void
  /** Re-reads the file now; resolves true when a changed, valid registry was applied. */
  reload(): Promise<boolean>
  /**
   * Changes the file through editRegistry (edit.ts: under the registry lock, re-read, validated,
   * atomic), one change at a time in this process, and reloads it before resolving, so current()
   * already holds the change (or a later one from another process).
   */
  edit(edit: RegistryEdit): Promise<EditResult>
  close(): Promise<void>
}

export interface RegistryStoreOptions {
  path: string
  log: Logger
  /** Fallback poll interval for file systems where fs.watch misses changes. */
  pollMs?: number
  /** Quiet time after the last change event before the file is re-read. */
  debounceMs?: number
  /** Watch the directory as well as polling (default true; tests turn it off to test the poll). */
  watch?: boolean
  /** Bounds of the registry lock taken by edit(). */
  lock?: LockOptions
}

interface Indexed {
  registry: Registry
  devices: Map<string, Device>
  sites: Map<string, Site>
  bins: Map<string, Bin>
  vehicles: Map<string, Vehicle>
  services: Map<string, ServiceAccount>
}

function byId<T extends { id: string }>(entries: readonly T[]): Map<string, T> {
  return new Map(entries.map((e) => [e.id, e]))
}

function indexRegistry(registry: Registry): Indexed {
  return {
    registry,
    devices: byId(registry.devices),
    sites: byId(registry.sites),
    bins: byId(registry.bins),
    vehicles: byId(registry.vehicles),
    services: byId(registry.services)
  }
}

function counts(r: Registry) {
  return {
    sites: r.sites.length,
    bins: r.bins.length,
    vehicles: r.vehicles.length,
    devices: r.devices.length,
    services: r.services.length
  }
}

const digestOf = (text: string): string => createHash('sha256').update(text).digest('base64')

export async function createRegistryStore(options: RegistryStoreOptions): Promise<RegistryStore> {
  const { path, pollMs = 1000, debounceMs = 50, watch: useWatch = true } = options
  const log = options.log.child({ component: 'registry', path })
  const editor = createRegistryEditor(path, { ...options.lock, log })

  const firstText = await readFile(path, 'utf8').catch((err: Error) => {
    throw new RegistryIoError(`${path}: cannot read the registry: ${err.message}`, { cause: err })
  })
  let state = indexRegistry(parseRegistry(firstText, path))
  // Contents are remembered by digest, not kept: a registry of 10,000 devices is ~9 MB of text
  // (UTF-16 on the heap once it holds a Chinese character).
  let applied = digestOf(firstText)
  // The last content seen (null: unreadable), valid or not, so that a bad file is reported
  // once rather than on every change event.
  let seen: string | null = applied
  log.info(counts(state.registry), 'registry loaded')

  const listeners = new Set<RegistryListener>()
  let closed = false
  let chain: Promise<unknown> = Promise.resolve()

  async function reloadNow(): Promise<boolean> {
    if (closed) return false
    let text: string
    try {
      await files.seen()
      text = await readFile(path, 'utf8')
    } catch (err) {
      if (seen !== null) log.error({ err }, 'registry unreadable; keeping the previous registry')
      seen = null
      return false
    }
    const digest = digestOf(text)
    if (digest === seen) return false
    seen = digest
    if (digest === applied) return false
    let next: Registry
    try {
      next = parseRegistry(text, path)
    } catch (err) {
      if (err instanceof RegistryError) {
        log.error({ code: err.code, problems: err.problems }, 'registry change rejected; keeping the previous registry')
      } else {
        log.error({ err }, 'registry change rejected; keeping the previous registry')
      }
      return false
    }
    const prev = state.registry
    state = indexRegistry(next)
    applied = digest
    log.info(counts(next), 'registry reloaded')
    for (const listener of listeners) {
      try {
        listener(next, prev)
      } catch (err) {
        log.error({ err }, 'registry change listener failed')
      }
    }
    return true
  }

  function enqueue(): Promise<boolean> {
    const run = chain.then(reloadNow)
    chain = run.catch(() => undefined)
    return run
  }

  // reloadNow notes the file as seen through `files`; it first runs after this line.
  const files = await watchFile({ path, log, pollMs, debounceMs, useWatch, onChange: () => void enqueue() })

  return {
    current: () => state.registry,
    device: (id) => state.devices.get(id),
    site: (id) => state.sites.get(id),
    bin: (id) => state.bins.get(id),
    vehicle: (id) => state.vehicles.get(id),
    service: (id) => state.services.get(id),
    onChange(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    reload: enqueue,
    async edit(edit) {
      const result = await editor.edit(edit)
      if (result.changed) await enqueue()
      return result
    },
    async close() {
      closed = true
      files.close()
      listeners.clear()
      await chain
    }
  }
}
