// Alerts in InfluxDB (influx/schema/README.md, "alert"): one point per episode. Its identity
// (measurement + tags + time) is fixed when the episode opens — type, severity and subject are
// the tags, time is openedAt plus a sub-ms offset from the id — so every transition rewrites
// the same point and the last write is the current state (docs/architecture.md).
import type { Alert } from '../../contracts/ops.ts'
import { Alert as AlertSchema } from '../../contracts/ops.ts'
import { fnv1a32 } from '../../lib/hash.ts'
import { toLine } from '../lineProtocol.ts'
import { int, str, type Field, type Point } from '../point.ts'
import { FIELD, MEASUREMENT as M } from './names.ts'

export function alertTimeNs(a: Pick<Alert, 'id' | 'openedAt'>): bigint {
  return BigInt(a.openedAt) * 1_000_000n + BigInt(fnv1a32(a.id) % 1_000_000)
}

// Absent values are omitted rather than written as a sentinel: a field never changes type, and
// the nullable fields only ever go from absent to set within an episode (resolved_at, ack_*), so
// a later write never needs to clear one (InfluxDB merges the fields of a rewritten point).
const optInt = (v: number | null): Field | undefined => (v === null ? undefined : int(v))
const optStr = (v: string | null): Field | undefined => (v === null ? undefined : str(v))

// An episode that changes level (bin fill: near-full ⇄ overflow) keeps the tags of its first
// level, so every transition still rewrites the one point; the current level is the last entry
// of the `history` field.
export function alertPoint(a: Alert): Point {
  const first = a.history?.[0] ?? a
  return {
    measurement: M.alert,
    tags: { type: first.type, severity: first.severity, subject_kind: a.subject.kind, subject_id: a.subject.id },
    fields: {
      id: str(a.id),
      state: str(a.state),
      opened_at: int(a.openedAt),
      updated_at: int(a.updatedAt),
      resolved_at: optInt(a.resolvedAt),
      ack_at: optInt(a.acknowledgedAt),
      ack_by: optStr(a.acknowledgedBy),
      message: str(a.message),
      details: str(JSON.stringify(a.details)),
      ack_note: a.acknowledgedNote == null ? undefined : str(a.acknowledgedNote),
      history: a.history === undefined ? undefined : str(JSON.stringify(a.history)),
      members: a.members === undefined ? undefined : str(JSON.stringify(a.members))
    },
    timeNs: alertTimeNs(a)
  }
}

export const alertLine = (a: Alert): string => toLine(alertPoint(a))

/** The fields of an alert point, all of which `rowToAlert` reads. */
export const ALERT_FIELDS = [
  FIELD.id,
  FIELD.state,
  FIELD.openedAt,
  FIELD.updatedAt,
  FIELD.resolvedAt,
  FIELD.ackAt,
  FIELD.ackBy,
  FIELD.message,
  FIELD.details,
  FIELD.ackNote,
  FIELD.history,
  FIELD.members
] as const

const nullableNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))
const nullableString = (v: unknown): string | null => (v === null || v === undefined ? null : String(v))

function parseJson(v: unknown, absent: unknown): unknown {
  try {
    return typeof v === 'string' ? JSON.parse(v) : absent
  } catch {
    return absent
  }
}

/** A stored row back into an Alert; undefined when it is not a valid one. */
export function rowToAlert(r: Record<string, unknown>): Alert | undefined {
  const history = parseJson(r.history, undefined)
  const level = Array.isArray(history) ? (history.at(-1) as Record<string, unknown> | undefined) : undefined
  const members = parseJson(r.members, undefined)
  const parsed = AlertSchema.safeParse({
    id: r.id,
    type: level?.type ?? r.type,
    severity: level?.severity ?? r.severity,
    subject: { kind: r.subject_kind, id: r.subject_id },
    state: r.state,
    openedAt: nullableNumber(r.opened_at),
    updatedAt: nullableNumber(r.updated_at),
    resolvedAt: nullableNumber(r.resolved_at),
    acknowledgedAt: nullableNumber(r.ack_at),
    acknowledgedBy: nullableString(r.ack_by),
    message: r.message,
    details: parseJson(r.details, {}),
    ...(r.ack_note === null || r.ack_note === undefined ? {} : { acknowledgedNote: String(r.ack_note) }),
    ...(history === undefined ? {} : { history }),
    ...(members === undefined ? {} : { members })
  })
  return parsed.success ? parsed.data : undefined
}
