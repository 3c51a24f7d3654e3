// The admin forms' error handling, apart from the views so it is tested under Node: a refused
// change comes back with `details.issues`, each naming a field of the request body
// (dashboard-api/routes/adminDevices.ts, adminUsers.ts); each message is shown beside its field.
import { ApiError, type FieldIssue } from '../api.ts'

/** Field → message for the fields the form shows; `''` holds what names no such field. */
export type FieldErrors = Record<string, string>

export function fieldErrors(issues: readonly FieldIssue[], fields: readonly string[], fallback = ''): FieldErrors {
  const out: FieldErrors = {}
  const add = (key: string, message: string): void => {
    out[key] = out[key] ? `${out[key]}; ${message}` : message
  }
  for (const i of issues) {
    const field = i.path.split('.')[0] ?? ''
    if (fields.includes(field)) add(field, i.message)
    else add('', i.path ? `${i.path}: ${i.message}` : i.message)
  }
  if (issues.length === 0 && fallback) out[''] = fallback
  return out
}

/** What a failed request shows: its issues by field, or its message when it names none. */
export function errorsOf(err: unknown, fields: readonly string[]): FieldErrors {
  if (err instanceof ApiError) return fieldErrors(err.issues, fields, err.message)
  return { '': err instanceof Error ? err.message : String(err) }
}

/** Rows whose text contains every word of `query` (case-insensitive), in any of `texts(row)`. */
export function matches(query: string, texts: readonly (string | null | undefined)[]): boolean {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean)
  if (words.length === 0) return true
  const hay = texts
    .filter((t): t is string => typeof t === 'string')
    .join(' ')
    .toLowerCase()
  return words.every((w) => hay.includes(w))
}
