// Reading the registry file. Validation (validate.ts) happens here, where the bytes enter;
// everything else works on a typed, cross-checked Registry. Writing goes through edit.ts,
// under the registry lock.
import { readFile } from 'node:fs/promises'
import type { Registry } from '../contracts/registry.ts'
import { replaceRegistry } from './edit.ts'
import { RegistryIoError } from './errors.ts'
import type { LockOptions } from './lock.ts'
import { parseRegistry } from './validate.ts'

export { RegistryError, RegistryIoError, formatProblem } from './errors.ts'
export { MAX_PROBLEMS, formatPath, formatRegistry, parseRegistry, validateRegistry } from './validate.ts'

export async function loadRegistry(path: string): Promise<Registry> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new RegistryIoError(`${path}: cannot read the registry: ${(err as Error).message}`, { cause: err })
  }
  return parseRegistry(text, path)
}

/**
 * Replaces the whole file (creating it if need be) under the registry lock; for writing a
 * registry built elsewhere (tests, benchmarks). A change to the current registry is an
 * editRegistry (edit.ts): it re-reads the file under the lock.
 */
export async function saveRegistry(path: string, registry: Registry, lock?: LockOptions): Promise<void> {
  await replaceRegistry(path, registry, lock)
}
