import { zoneOffsetMs } from '../../lib/time.ts'

const pad = (n: number, w = 2): string => String(n).padStart(w, '0')

/** `2026-03-14T07:05:09.120+08:00`: the instant in the zone's local time, with its offset. */
export function localIso(ms: number, tz: string): string {
  const off = zoneOffsetMs(ms, tz)
  const d = new Date(ms + off)
  const sign = off >= 0 ? '+' : '-'
  const a = Math.abs(off) / 60_000
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`
}
