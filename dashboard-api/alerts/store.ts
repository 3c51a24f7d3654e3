// Alerts in InfluxDB (ingest/SCHEMA.md, "alert"): one point per episode. Its identity
// (measurement + tags + time) is fixed when the episode opens — type, severity and subject are
// the tags, time is openedAt plus a sub-ms offset from the id — so every transition rewrites
// the same point and the last write is the current state (design.md decision 4).
import type { Alert } from '../../contracts/ops.ts'
import { Alert as AlertSchema } from '../../contracts/ops.ts'
import { rows, type InfluxClient } from '../../influx/client.ts'
import { toLine } from '../../influx/lineProtocol.ts'
import { int, str, type Field, type Point } from '../../influx/point.ts'
import { fnv1a32 } from '../../lib/hash.ts'

export const MEASUREMENT = 'alert'

export function alertTimeNs(a: Pick<Alert, 'id' | 'openedAt'>): bigint {
  return BigInt(a.openedAt) * 1_000_000n + BigInt(fnv1a32(a.id) % 1_000_000)
}

// Absent values are omitted rather than written as a sentinel: a field never changes type, and
// the nullable fields only ever go from absent to set within an episode (resolved_at, ack_*), so
// a later write never needs to clear one (InfluxDB merges the fields of a rewritten point).
const optInt = (v: number | null): Field | undefined => (v === null ? undefined : int(v))
const optStr = (v: string | null): Field | undefined => (v === null ? undefined : str(v))

export function alertPoint(a: Alert): Point {
  return {
    measurement: MEASUREMENT,
    tags: { type: a.type, severity: a.severity, subject_kind: a.subject.kind, subject_id: a.subject.id },
    fields: {
      id: str(a.id),
      state: str(a.state),
      opened_at: int(a.openedAt),
      updated_at: int(a.updatedAt),
      resolved_at: optInt(a.resolvedAt),
      ack_at: optInt(a.acknowledgedAt),
      ack_by: optStr(a.acknowledgedBy),
      message: str(a.message),
      details: str(JSON.stringify(a.details))
    },
    timeNs: alertTimeNs(a)
  }
}

export const alertLine = (a: Alert): string => toLine(alertPoint(a))

const FIELDS = ['id', 'state', 'opened_at', 'updated_at', 'resolved_at', 'ack_at', 'ack_by', 'message', 'details']

const nullableNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))
const nullableString = (v: unknown): string | null => (v === null || v === undefined ? null : String(v))

function parseDetails(v: unknown): unknown {
  try {
    return typeof v === 'string' ? JSON.parse(v) : {}
  } catch {
    return {}
  }
}

/** A stored row back into an Alert; undefined when it is not a valid one. */
export function rowToAlert(r: Record<string, unknown>): Alert | undefined {
  const parsed = AlertSchema.safeParse({
    id: r.id,
    type: r.type,
    severity: r.severity,
    subject: { kind: r.subject_kind, id: r.subject_id },
    state: r.state,
    openedAt: nullableNumber(r.opened_at),
    updatedAt: nullableNumber(r.updated_at),
    resolvedAt: nullableNumber(r.resolved_at),
    acknowledgedAt: nullableNumber(r.ack_at),
    acknowledgedBy: nullableString(r.ack_by),
    message: r.message,
    details: parseDetails(r.details)
  })
  return parsed.success ? parsed.data : undefined
}

export interface LoadResult {
  readonly alerts: Alert[]
  /** Rows that did not parse as alerts (logged by the caller). */
  readonly invalid: number
}

export interface LoadRange {
  /** Opened at or after (epoch ms): how far back to look. */
  readonly openedFrom: number
  /** Opened before (epoch ms); unbounded when absent. */
  readonly openedBefore?: number
  /** Besides the open ones, those resolved or updated at or after this (epoch ms). */
  readonly changedSince: number
}

/**
 * Alerts opened within the range that are open, or were resolved or updated since
 * `changedSince`. The field filter runs in InfluxDB, so only those rows travel.
 */
export async function loadAlerts(influx: InfluxClient, range: LoadRange): Promise<LoadResult> {
  const select = FIELDS.map((f) => `"${f}"`).join(', ')
  const since = Math.floor(range.changedSince)
  const before = range.openedBefore === undefined ? '' : ` AND time < ${Math.floor(range.openedBefore)}ms`
  const q = `SELECT ${select} FROM "${MEASUREMENT}" WHERE time >= ${Math.floor(range.openedFrom)}ms${before}` +
    ` AND ("state" = 'open' OR "resolved_at" >= ${since} OR "updated_at" >= ${since})` +
    ' GROUP BY "type", "severity", "subject_kind", "subject_id"'
  const [result] = await influx.query(q, { epoch: 'ms' })
  const alerts: Alert[] = []
  let invalid = 0
  for (const r of rows(result)) {
    const a = rowToAlert(r)
    if (a === undefined) invalid++
    else alerts.push(a)
  }
  return { alerts, invalid }
}
