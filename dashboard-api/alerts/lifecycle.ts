// The alert lifecycle as a pure function: given the open alerts and what the rules want now,
// which alerts open and which resolve. De-duplication: at most one open alert per (type,
// subject) — the key. Hysteresis: an open alert resolves only once its condition has been
// absent for `evaluations` consecutive evaluations AND for at least `ms` since the first of
// them (both: a fast evaluation cadence alone would resolve on a one-second dip, a slow one on a
// single reading). Any evaluation that finds the condition again ends the streak and keeps the
// same episode open. An escalation (Desired.supersedes) resolves at once.
import { createHash } from 'node:crypto'
import type { Alert } from '../../contracts/ops.ts'
import { alertKey, type Desired, type Subject } from './rules.ts'

export interface Hysteresis {
  readonly evaluations: number
  readonly ms: number
}

export const DEFAULT_HYSTERESIS: Hysteresis = { evaluations: 2, ms: 60_000 }

/** Consecutive evaluations without the condition of an open alert. In memory only: a restart
 *  starts the streak over, which can only delay a resolution, never lose or duplicate one. */
export interface Streak {
  readonly since: number
  readonly count: number
}

export interface Plan {
  readonly opened: readonly Alert[]
  readonly resolved: readonly Alert[]
  /** The streaks of the alerts that stay open with their condition absent. */
  readonly clear: ReadonlyMap<string, Streak>
}

/** Stable for one episode: derived from type + subject + opening time only. URL-safe. */
export function alertId(type: Alert['type'], subject: Subject, openedAt: number): string {
  return createHash('sha256').update(`${type}\n${subject.kind}\n${subject.id}\n${openedAt}`).digest('hex').slice(0, 24)
}

export function openAlert(d: Desired, openedAt: number, idTaken: (id: string) => boolean = () => false): Alert {
  // Two episodes of one key can only share a millisecond with a hysteresis of 0; keep ids unique.
  let at = openedAt
  while (idTaken(alertId(d.type, d.subject, at))) at++
  return {
    id: alertId(d.type, d.subject, at),
    type: d.type,
    severity: d.severity,
    subject: { kind: d.subject.kind, id: d.subject.id },
    state: 'open',
    openedAt: at,
    updatedAt: at,
    resolvedAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    message: d.message,
    details: { ...d.details }
  }
}

// Clamped so a clock that steps back never resolves an episode before it opened.
export const resolveAlert = (a: Alert, now: number): Alert => {
  const at = Math.max(a.openedAt, now)
  return { ...a, state: 'resolved', resolvedAt: at, updatedAt: Math.max(a.updatedAt, at) }
}

export function plan(
  open: ReadonlyMap<string, Alert>,
  clear: ReadonlyMap<string, Streak>,
  desired: readonly Desired[],
  now: number,
  hysteresis: Hysteresis = DEFAULT_HYSTERESIS,
  idTaken?: (id: string) => boolean
): Plan {
  const wanted = new Map<string, Desired>()
  const superseded = new Set<string>()
  for (const d of desired) {
    if (!wanted.has(alertKey(d))) wanted.set(alertKey(d), d)
    for (const type of d.supersedes ?? []) superseded.add(alertKey({ type, subject: d.subject }))
  }
  const opened: Alert[] = []
  const resolved: Alert[] = []
  const nextClear = new Map<string, Streak>()
  for (const [key, alert] of open) {
    if (wanted.has(key)) continue
    if (superseded.has(key)) {
      resolved.push(resolveAlert(alert, now))
      continue
    }
    const prev = clear.get(key)
    const streak = { since: prev?.since ?? now, count: (prev?.count ?? 0) + 1 }
    if (streak.count >= hysteresis.evaluations && now - streak.since >= hysteresis.ms)
      resolved.push(resolveAlert(alert, now))
    else nextClear.set(key, streak)
  }
  for (const [key, d] of wanted) {
    if (!open.has(key)) opened.push(openAlert(d, now, idTaken))
  }
  return { opened, resolved, clear: nextClear }
}
