// A device's individual rejections of a day, read from InfluxDB: ingest stores every rejected
// object as a `rejection` point (influx/schema/rejection.ts) stamped with its event time when it
// had a readable one, else its arrival — the same day the completeness report counts it on
// (fold/rejection.ts). A retransmitted bad object overwrites its own point, as the count
// de-duplicates it. Pages are newest first and bounded; the cursor is the last row's time
// with InfluxDB's nanoseconds (RFC 3339), so the next page starts strictly before it.
import type { DeviceRejection } from '../../contracts/rejection.ts'
import { issuePaths, type DeviceRejections } from '../../contracts/rejection.ts'
import { quoteString, rows, type InfluxClient } from '../../influx/client.ts'
import { rejectionFact } from '../../influx/schema/rejection.ts'
import { MEASUREMENT as M, q, TAG as T } from '../../influx/schema/names.ts'
import { addDays, startOfLocalDay } from '../../lib/time.ts'

/** A cursor is an RFC 3339 UTC time as InfluxDB returns it (to the nanosecond). */
export const REJECTION_CURSOR = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/

export interface RejectionPage {
  readonly limit: number
  readonly cursor?: string
}

export async function deviceRejectionsOn(
  influx: InfluxClient,
  deviceId: string,
  day: string,
  tz: string,
  page: RejectionPage
): Promise<DeviceRejections> {
  const start = startOfLocalDay(day, tz)
  const end = startOfLocalDay(addDays(day, 1), tz)
  const before = page.cursor && REJECTION_CURSOR.test(page.cursor) ? ` AND time < ${quoteString(page.cursor)}` : ''
  // One row more than asked: whether there is a next page, without a count query.
  const [r] = await influx.query(
    `SELECT * FROM ${q(M.rejection)} WHERE ${q(T.device)} = ${quoteString(deviceId)}` +
      ` AND time >= ${start}ms AND time < ${end}ms${before} ORDER BY time DESC LIMIT ${page.limit + 1}`
  )
  const all = rows(r)
  const shown = all.slice(0, page.limit)
  const items = shown.map((row): DeviceRejection => {
    const f = rejectionFact(row)
    return {
      at: Date.parse(String(row.time)),
      recvMs: f.recvMs,
      eventMs: f.ts ?? null,
      code: f.code,
      kind: f.msgKind,
      topic: f.topic,
      index: f.index ?? null,
      seq: f.seq ?? null,
      message: f.error,
      paths: issuePaths(f.code, f.error),
      excerpt: f.excerpt
    }
  })
  const last = shown.at(-1)
  return { deviceId, day, items, nextCursor: all.length > page.limit && last ? String(last.time) : null }
}
