// Local days (design decision 5): a day is a calendar day in the configured zone, so
// midnight is local midnight. Pure functions of (ms, zone).

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit'
    })
    formatters.set(tz, f)
  }
  return f
}

function parts(ms: number, tz: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const p: Record<string, number> = {}
  for (const part of formatter(tz).formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value)
  return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour!, mi: p.minute!, s: p.second! }
}

/** The zone's offset from UTC at instant `ms`, in ms (Asia/Shanghai: +8 h). */
export function zoneOffsetMs(ms: number, tz: string): number {
  const p = parts(ms, tz)
  const asUtc = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s)
  return asUtc - Math.floor(ms / 1000) * 1000
}

/** `YYYY-MM-DD` of the local day that contains `ms`. */
export function localDate(ms: number, tz: string): string {
  const p = parts(ms, tz)
  return `${p.y}-${String(p.mo).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`
}

/** The instant local midnight starts `date` (`YYYY-MM-DD`). */
export function startOfLocalDay(date: string, tz: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const guess = Date.UTC(y, m - 1, d)
  let start = guess - zoneOffsetMs(guess, tz)
  // A second pass settles days whose offset differs from the guess's (DST transitions).
  start = guess - zoneOffsetMs(start, tz)
  return start
}

/** `date` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10)
}
