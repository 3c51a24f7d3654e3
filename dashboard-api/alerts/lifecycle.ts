// The alert lifecycle as a pure function: given the open alerts and what the rules want now,
// which alerts open and which resolve. De-duplication: at most one open alert per (type,
// subject) — the key. Hysteresis: an open alert resolves only once its condition has been
// absent for `evaluations` consecutive evaluations AND for at least `ms` since the first of
// them (both: a fast evaluation cadence alone would resolve on a one-second dip, a slow one on a
// single reading). Any evaluation that finds the condition again ends the streak and keeps the
// same episode open.
//
// Levels: types of one family (rules.ts FAMILY: bin-near-full and bin-overflow are "bin fill")
// share the key, so one subject has one open alert of the family. A higher level wanted now
// raises the open alert at once (same id, `history` keeps the levels); a lower level wanted now
// counts as the higher level's condition being absent, and lowers the alert once that passes
// the hysteresis — the same rule that resolves it when nothing is wanted.
import { createHash } from 'node:crypto'
import type { Alert } from '../../contracts/ops.ts'
import { alertKey, rank, type Desired, type Subject } from './rules.ts'

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
  /** Open alerts whose level changed (raised or lowered). */
  readonly updated: readonly Alert[]
  /** The streaks of the alerts that stay open with their condition absent. */
  readonly clear: ReadonlyMap<string, Streak>
}

/** Stable for one episode: derived from type + subject + opening time only. URL-safe. */
export function alertId(type: Alert['type'], subject: Subject, openedAt: number): string {
  return createHash('sha256').update(`${type}\n${subject.kind}\n${subject.id}\n${openedAt}`).digest('hex').slice(0, 24)
}

/** Levels kept per episode: the first (the stored point's identity) and the latest ones. A level
 *  changes at most once per hysteresis period, so this is hours of a bin flapping at its limit. */
export const MAX_HISTORY = 50
const boundHistory = (h: NonNullable<Alert['history']>): NonNullable<Alert['history']> =>
  h.length <= MAX_HISTORY ? h : [h[0]!, ...h.slice(h.length - MAX_HISTORY + 1)]

/** The open alert at the level `d` asks for; its levels so far are kept in `history`. */
export function changeLevel(a: Alert, d: Desired, now: number): Alert {
  const at = Math.max(a.updatedAt, now)
  const first = { at: a.openedAt, type: a.type, severity: a.severity }
  return {
    ...a,
    type: d.type,
    severity: d.severity,
    updatedAt: at,
    message: d.message,
    details: { ...d.details },
    ...(d.members === undefined ? {} : { members: d.members }),
    history: boundHistory([...(a.history ?? [first]), { at, type: d.type, severity: d.severity }])
  }
}

const memberIds = (m: Alert['members']): string => (m ?? []).map((x) => x.id).join('\n')
const membersChanged = (a: Alert, d: Desired): boolean =>
  d.members !== undefined && memberIds(a.members) !== memberIds(d.members)

/** A grouped alert with the members (and count) of now: one write when the group changes. */
function withMembers(a: Alert, d: Desired, now: number): Alert {
  return {
    ...a,
    updatedAt: Math.max(a.updatedAt, now),
    message: d.message,
    details: { ...d.details },
    members: d.members ?? []
  }
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
    details: { ...d.details },
    ...(d.members === undefined ? {} : { members: d.members })
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
  for (const d of desired) if (!wanted.has(alertKey(d))) wanted.set(alertKey(d), d)
  const opened: Alert[] = []
  const resolved: Alert[] = []
  const updated: Alert[] = []
  const nextClear = new Map<string, Streak>()
  const passed = (s: Streak): boolean => s.count >= hysteresis.evaluations && now - s.since >= hysteresis.ms
  for (const [key, alert] of open) {
    const d = wanted.get(key)
    if (d !== undefined && d.type === alert.type) {
      if (membersChanged(alert, d)) updated.push(withMembers(alert, d, now))
      continue
    }
    if (d !== undefined && rank(d.type) > rank(alert.type)) {
      updated.push(changeLevel(alert, d, now))
      continue
    }
    const prev = clear.get(key)
    const streak = { since: prev?.since ?? now, count: (prev?.count ?? 0) + 1 }
    if (!passed(streak)) nextClear.set(key, streak)
    else if (d !== undefined) updated.push(changeLevel(alert, d, now))
    else resolved.push(resolveAlert(alert, now))
  }
  for (const [key, d] of wanted) {
    if (!open.has(key)) opened.push(openAlert(d, now, idTaken))
  }
  return { opened, resolved, updated, clear: nextClear }
}
