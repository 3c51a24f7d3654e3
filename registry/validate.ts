// Validating registry content: the schema, then the cross-checks (checkRegistry), every
// problem as data ({ path, message }). Pure; load.ts reads files, edit.ts writes them.
import type { z } from 'zod'
import { Registry, checkRegistry, entryId } from '../contracts/registry.ts'
import type { RegistryProblem } from '../contracts/registry.ts'
import { RegistryError } from './errors.ts'

export const MAX_PROBLEMS = 50
const COLLECTIONS = new Set(['sites', 'bins', 'vehicles', 'devices', 'services', 'zones'])

/** `devices[3].siteId` from zod's `['devices', 3, 'siteId']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`
  return out
}

function issueToProblem(issue: z.core.$ZodIssue, raw: unknown): RegistryProblem {
  const [head, index] = issue.path
  let id = ''
  if (typeof head === 'string' && COLLECTIONS.has(head) && typeof index === 'number') {
    const entry = (raw as Record<string, unknown[] | undefined>)[head]?.[index]
    id = entryId(entry !== null && typeof entry === 'object' ? (entry as { id?: unknown }).id : undefined)
  }
  return { path: formatPath(issue.path), message: `${issue.message}${id}` }
}

function capped(problems: RegistryProblem[]): RegistryProblem[] {
  if (problems.length <= MAX_PROBLEMS) return problems
  const more = { path: '', message: `... and ${problems.length - MAX_PROBLEMS} more problems` }
  return [...problems.slice(0, MAX_PROBLEMS), more]
}

/** All problems of an already-parsed value; empty when valid. */
export function validateRegistry(raw: unknown): { registry?: Registry; problems: RegistryProblem[] } {
  const parsed = Registry.safeParse(raw)
  if (!parsed.success) return { problems: capped(parsed.error.issues.map((i) => issueToProblem(i, raw))) }
  const problems = checkRegistry(parsed.data)
  return problems.length > 0 ? { problems: capped(problems) } : { registry: parsed.data, problems: [] }
}

/** Parses and validates registry JSON; throws a RegistryError listing every problem. */
export function parseRegistry(text: string, source: string): Registry {
  let raw: unknown
  try {
    raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
  } catch (err) {
    const problem = { path: '', message: `not valid JSON: ${(err as Error).message}` }
    throw new RegistryError([problem], { source, cause: err })
  }
  const { registry, problems } = validateRegistry(raw)
  if (!registry) throw new RegistryError(problems, { source })
  return registry
}

export function formatRegistry(registry: Registry): string {
  return `${JSON.stringify(registry, null, 2)}\n`
}
