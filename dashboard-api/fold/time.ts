import { zoneOffsetMs } from '../../lib/time.ts'

const DAY_MS = 86_400_000

/** Minutes after local midnight at `ms` (for zone windows, cut-offs). */
export function localMinuteOfDay(ms: number, tz: string): number {
  const local = ms + zoneOffsetMs(ms, tz)
  return Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / 60_000)
}
