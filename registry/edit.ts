// The one way to change the registry file. Every writer (the admin API, `qingyun devices|services`,
// `qingyun sim provision`, first-start seeding) goes through here: take the lock (lock.ts),
// re-read the file under it, apply the change, validate the whole result (schema and
// cross-checks), write it atomically, release. A change made by another process a moment ago is
// therefore never overwritten, and an invalid registry is never written. Running nodes pick the
// new file up by their hot reload (store.ts).
import { access, mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Registry, RegistryProblem } from '../contracts/registry.ts'
import { writeFileAtomic } from '../lib/atomic.ts'
import { RegistryError, RegistryIoError } from './errors.ts'
import { type HeldLock, type LockOptions, lockPathOf, withLock } from './lock.ts'
import { formatRegistry, parseRegistry, validateRegistry } from './validate.ts'

/** What a change returns: the next registry (the same object: nothing to write), or why not. */
export type EditOutcome = Registry | { readonly problems: readonly RegistryProblem[] }
export type RegistryEdit = (current: Registry) => EditOutcome | Promise<EditOutcome>

export interface EditResult {
  readonly registry: Registry
  readonly previous: Registry
  /** False when the change returned the registry it was given: nothing was written. */
  readonly changed: boolean
}

/** The registry in `path`, or undefined when there is no such file. */
async function readIfExists(path: string): Promise<Registry | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new RegistryIoError(`${path}: cannot read the registry: ${(err as Error).message}`, { cause: err })
  }
  return parseRegistry(text, path)
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw new RegistryIoError(`${path}: cannot check the registry: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * Validates, checks the lock is still ours, writes atomically with mode 0600: the file holds the
 * token hashes that decide who may connect, so only its owner reads it.
 */
async function commit(path: string, lock: HeldLock, next: Registry): Promise<Registry> {
  const { registry: valid, problems } = validateRegistry(next)
  if (!valid) throw new RegistryError(problems)
  await lock.assertHeld()
  try {
    await writeFileAtomic(path, formatRegistry(valid), 0o600)
  } catch (err) {
    throw new RegistryIoError(`${path}: cannot write the registry: ${(err as Error).message}`, { cause: err })
  }
  return valid
}

/**
 * Applies `edit` to the registry in `path` under the registry lock. Throws RegistryError (with
 * the problems as data) when the change is refused or its result is invalid, RegistryLockedError
 * when the lock stays held past the wait bound, RegistryIoError when the file cannot be read or
 * written; in each case the file is unchanged.
 */
export async function editRegistry(path: string, edit: RegistryEdit, lock?: LockOptions): Promise<EditResult> {
  return withLock(
    lockPathOf(path),
    async (held) => {
      const previous = await readIfExists(path)
      if (previous === undefined) throw new RegistryIoError(`${path}: cannot read the registry: no such file`)
      const outcome = await edit(previous)
      if ('problems' in outcome) throw new RegistryError(outcome.problems)
      if (outcome === previous) return { registry: previous, previous, changed: false }
      return { registry: await commit(path, held, outcome), previous, changed: true }
    },
    lock
  )
}

/**
 * Creates the registry from `make()` unless the file exists (checked under the lock, so two
 * first starts cannot both seed). Resolves whether it created the file.
 */
export async function createRegistry(
  path: string,
  make: () => Promise<Registry>,
  lock?: LockOptions
): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true })
  return withLock(
    lockPathOf(path),
    async (held) => {
      if (await exists(path)) return false
      await commit(path, held, await make())
      return true
    },
    lock
  )
}

/** Replaces the whole file, creating it if need be (tests, benchmarks, `saveRegistry`). */
export async function replaceRegistry(path: string, registry: Registry, lock?: LockOptions): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await withLock(lockPathOf(path), (held) => commit(path, held, registry), lock)
}

export interface RegistryEditor {
  /** editRegistry, one change at a time within this process. */
  edit(edit: RegistryEdit): Promise<EditResult>
}

/**
 * Edits of one process queue here instead of polling for the lock file, and each reads the
 * result of the one before; other processes are kept out by the lock.
 */
export function createRegistryEditor(path: string, lock?: LockOptions): RegistryEditor {
  let chain: Promise<unknown> = Promise.resolve()
  return {
    edit(edit) {
      const run = chain.then(() => editRegistry(path, edit, lock))
      chain = run.catch(() => undefined)
      return run
    }
  }
}
