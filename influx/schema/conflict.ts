import type { ConflictFact } from '../../contracts/facts.ts'
import { str, type Point } from '../point.ts'
import { duplicateFact, duplicatePoint } from './duplicate.ts'
import { MEASUREMENT } from './names.ts'
import type { Row } from './row.ts'

/**
 * Measurement `conflict`: one point per write that changed the content of an already committed
 * data point (same identity, other fields). A `duplicate` point with the content before and
 * after, stamped the same way (arrival time plus a hash of the identity), so every change is a
 * point of its own.
 */
export function conflictPoint(f: ConflictFact): Point {
  const p = duplicatePoint({ ...f, kind: 'duplicate' })
  return {
    ...p,
    measurement: MEASUREMENT.conflict,
    fields: { ...p.fields, previous: str(f.previous), current: str(f.current) }
  }
}

export function conflictFact(r: Row): ConflictFact {
  return {
    ...duplicateFact(r),
    kind: 'conflict',
    previous: String(r.previous ?? ''),
    current: String(r.current ?? '')
  }
}
