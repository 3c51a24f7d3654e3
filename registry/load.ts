// Reading, validating and writing the registry file. Validation happens here, where the bytes
// enter (conventions #2); everything else works on a typed, cross-checked Registry.
import { readFile } from 'node:fs/promises'
import type { z } from 'zod'
import { Registry, checkRegistry, entryLabel } from '../contracts/registry.ts'
import { writeFileAtomic } from './atomic.ts'
import { RegistryError, RegistryIoError } from './errors.ts'

export { RegistryError, RegistryIoError } from './errors.ts'

export const MAX_PROBLEMS = 50
const COLLECTIONS = new Set(['sites', 'bins', 'vehicles', 'devices', 'services'])

function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`
  return out
}

function issueToProblem(issue: z.core.$ZodIssue, raw: unknown): string {
  const [head, index, ...rest] = issue.path
  if (typeof head === 'string' && COLLECTIONS.has(head) && typeof index === 'number') {
    const entry = (raw as Record<string, unknown[] | undefined>)[head]?.[index]
    const id = entry !== null && typeof entry === 'object' ? (entry as { id?: unknown }).id : undefined
    const label = entryLabel(head, index, id)
    return rest.length > 0 ? `${label}: ${formatPath(rest)}: ${issue.message}` : `${label}: ${issue.message}`
  }
  return issue.path.length > 0 ? `${formatPath(issue.path)}: ${issue.message}` : issue.message
}

function capped(problems: string[]): string[] {
  if (problems.length <= MAX_PROBLEMS) return problems
  return [...problems.slice(0, MAX_PROBLEMS), `... and ${problems.length - MAX_PROBLEMS} more problems`]
}

/** All problems of an already-parsed value, each prefixed with `source`; empty when valid. */
export function validateRegistry(raw: unknown, source: string): { registry?: Registry; problems: string[] } {
  const parsed = Registry.safeParse(raw)
  if (!parsed.success) {
    return { problems: capped(parsed.error.issues.map((i) => `${source}: ${issueToProblem(i, raw)}`)) }
  }
  const problems = checkRegistry(parsed.data).map((p) => `${source}: ${p}`)
  return problems.length > 0 ? { problems: capped(problems) } : { registry: parsed.data, problems: [] }
}

/** Parses and validates registry JSON; throws a RegistryError listing every problem. */
export function parseRegistry(text: string, source: string): Registry {
  let raw: unknown
  try {
    raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
  } catch (err) {
    throw new RegistryError([`${source}: not valid JSON: ${(err as Error).message}`], { cause: err })
  }
  const { registry, problems } = validateRegistry(raw, source)
  if (!registry) throw new RegistryError(problems)
  return registry
}

export async function loadRegistry(path: string): Promise<Registry> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new RegistryIoError(`${path}: cannot read the registry: ${(err as Error).message}`, { cause: err })
  }
  return parseRegistry(text, path)
}

export function formatRegistry(registry: Registry): string {
  return `${JSON.stringify(registry, null, 2)}\n`
}

/**
 * Validates (an invalid registry is never written), then writes atomically with mode 0600:
 * the file holds the token hashes that decide who may connect, so only its owner reads it.
 */
export async function saveRegistry(path: string, registry: Registry): Promise<void> {
  const { registry: valid, problems } = validateRegistry(registry, path)
  if (!valid) throw new RegistryError(problems)
  try {
    await writeFileAtomic(path, formatRegistry(valid), 0o600)
  } catch (err) {
    throw new RegistryIoError(`${path}: cannot write the registry: ${(err as Error).message}`, { cause: err })
  }
}
