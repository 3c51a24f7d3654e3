// Reading alerts back from InfluxDB; the `alert` point and its reverse are influx/schema/alert.ts.
import type { Alert } from '../../contracts/ops.ts'
import { rows, type InfluxClient } from '../../influx/client.ts'
import { ALERT_FIELDS, rowToAlert } from '../../influx/schema/alert.ts'
import { FIELD, MEASUREMENT as M, q, TAG } from '../../influx/schema/names.ts'

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
  const select = ALERT_FIELDS.map(q).join(', ')
  const since = Math.floor(range.changedSince)
  const before = range.openedBefore === undefined ? '' : ` AND time < ${Math.floor(range.openedBefore)}ms`
  const query =
    `SELECT ${select} FROM ${q(M.alert)} WHERE time >= ${Math.floor(range.openedFrom)}ms${before}` +
    ` AND (${q(FIELD.state)} = 'open' OR ${q(FIELD.resolvedAt)} >= ${since} OR ${q(FIELD.updatedAt)} >= ${since})` +
    ` GROUP BY ${[TAG.alertType, TAG.severity, TAG.subjectKind, TAG.subjectId].map(q).join(', ')}`
  const [result] = await influx.query(query, { epoch: 'ms' })
  const alerts: Alert[] = []
  let invalid = 0
  for (const r of rows(result)) {
    const a = rowToAlert(r)
    if (a === undefined) invalid++
    else alerts.push(a)
  }
  return { alerts, invalid }
}
