// Request shapes shared by the REST routes. Response shapes are contracts/ops.ts's.
import { z } from 'zod'
import { ErrorBody } from '../errors.ts'

function isCalendarDate(s: string): boolean {
  const [y, m, d] = s.split('-').map(Number) as [number, number, number]
  const t = new Date(Date.UTC(y, m - 1, d))
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d
}

/** A local day (QINGYUN_TZ), `YYYY-MM-DD`, that exists in the calendar. */
export const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date YYYY-MM-DD' })
  .refine(isCalendarDate, { error: 'must be a real calendar date YYYY-MM-DD' })
  .describe('Local day (QINGYUN_TZ) as YYYY-MM-DD; defaults to today')

export const DateQuery = z.strictObject({ date: Day.optional() })

export const IdParams = z.strictObject({ id: z.string().min(1).max(64) })

/** Error responses a route may answer besides the auth ones the auth plugin adds. */
export const errors = (...statuses: (400 | 404 | 500 | 503)[]): Record<number, typeof ErrorBody> =>
  Object.fromEntries([...statuses, 500].map((s) => [s, ErrorBody]))
