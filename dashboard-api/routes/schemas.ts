// Request shapes shared by the REST routes. Response shapes are contracts/ops.ts's.
import { z } from 'zod'
import { ErrorBody } from '../errors.ts'

function isCalendarDate(s: string): boolean {
  const [y, m, d] = s.split('-').map(Number) as [number, number, number]
  const t = new Date(Date.UTC(y, m - 1, d))
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d
}

/**
 * Every day a client may name, in every route and the websocket: [DAY_MIN, DAY_MAX]. Why this
 * range: Qingyun stores device event times only within 30 days of its own clock
 * (QINGYUN_TS_MAX_AGE_MS), so no stored data can predate 2000; a day after 2099 names no data
 * either, and keeping every day (and the day after it, which range queries compute) inside
 * four-digit years keeps lib/time.ts and InfluxDB's int64-nanosecond timestamps (1677–2262)
 * far from their edges. Outside it: 400 API_E_VALIDATION naming the parameter, before any date
 * arithmetic or query runs.
 */
export const DAY_MIN = '2000-01-01'
export const DAY_MAX = '2099-12-31'

/** A local day (QINGYUN_TZ), `YYYY-MM-DD`, that exists in the calendar, within [DAY_MIN, DAY_MAX]. */
export const Day = z
  .string()
  .max(10)
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date YYYY-MM-DD' })
  .refine(isCalendarDate, { error: 'must be a real calendar date YYYY-MM-DD' })
  .refine((s) => s >= DAY_MIN && s <= DAY_MAX, { error: `must be a day from ${DAY_MIN} to ${DAY_MAX}` })
  .describe('Local day (QINGYUN_TZ) as YYYY-MM-DD; defaults to today')

export const DateQuery = z.strictObject({ date: Day.optional() })

export const IdParams = z.strictObject({ id: z.string().min(1).max(64) })

/** Error responses a route may answer besides the auth ones the auth plugin adds. */
export const errors = (...statuses: (400 | 404 | 409 | 500 | 503)[]): Record<number, typeof ErrorBody> =>
  Object.fromEntries([...statuses, 500].map((s) => [s, ErrorBody]))
