// Local days (docs/architecture.md, decision 5): a day is a calendar day in the configured zone, so
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

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/

/**
 * `YYYY-MM-DD` → [y, m, d], or a RangeError: these functions never turn a malformed or
 * impossible day (2026-02-30, a five-digit year) into NaN or another day silently. Callers
 * bound user input first (dashboard-api/routes/schemas.ts); this is the backstop.
 */
// Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
function utcDay(y: number, m: number, d: number): Date {
  const t = new Date(0)
  t.setUTCFullYear(y, m - 1, d)
  return t
}

function parseDay(date: string): [number, number, number] {
  const m = DAY.exec(date)
  if (!m) throw new RangeError(`not a day YYYY-MM-DD: ${JSON.stringify(String(date).slice(0, 40))}`)
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const t = utcDay(y, mo, d)
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) {
    throw new RangeError(`not a calendar day: ${date}`)
  }
  return [y, mo, d]
}

function finiteMs(ms: number): number {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) throw new RangeError(`not a valid instant: ${ms}`)
  return ms
}

/** Per zone, a span of instants at most SPAN_MAX_MS wide known to share one offset. */
const offsetSpans = new Map<string, { lo: number; hi: number; off: number }>()
const SPAN_MAX_MS = 3_600_000
/** Zones remembered by the two span caches; more are answered without one. */
const MAX_ZONES = 64

/** The zone's offset from UTC at instant `ms`, in ms (Asia/Shanghai: +8 h). */
export function zoneOffsetMs(ms: number, tz: string): number {
  finiteMs(ms)
  // Formatting is costly (the simulator stamps every message with it). Two instants less than
  // an hour apart with one offset have no change between them — a zone changes its offset at
  // most twice a year, never twice within an hour (since 1970; earlier instants are not cached).
  const span = ms >= 0 ? offsetSpans.get(tz) : undefined
  if (span !== undefined && ms >= span.lo && ms <= span.hi) return span.off
  const p = parts(ms, tz)
  const off = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - Math.floor(ms / 1000) * 1000
  if (ms < 0) return off
  if (span !== undefined && span.off === off && Math.max(span.hi, ms) - Math.min(span.lo, ms) <= SPAN_MAX_MS) {
    span.lo = Math.min(span.lo, ms)
    span.hi = Math.max(span.hi, ms)
  } else if (span !== undefined || offsetSpans.size < MAX_ZONES) offsetSpans.set(tz, { lo: ms, hi: ms, off })
  return off
}

/** Per zone, a span of instants known to share one local day: [lo, hi] and that day. */
const daySpans = new Map<string, { lo: number; hi: number; date: string }>()

/** `YYYY-MM-DD` of the local day that contains `ms`. */
export function localDate(ms: number, tz: string): string {
  finiteMs(ms)
  // Formatting is the costly part (some 5 % of the node's CPU in the demo's catch-up) and nearly
  // every call asks about the same day. The local date never goes back as time goes on (a clock
  // set back at a DST change repeats an hour of the same or the previous day, never an earlier
  // one; instants before 1970, when a few zones redefined their local time by about a day, are
  // left out), so every instant between two instants of one day is of that day: a span of seen
  // instants answers without formatting, and grows as instants of its day come in.
  if (ms < 0) {
    const q = parts(ms, tz)
    return `${q.y}-${String(q.mo).padStart(2, '0')}-${String(q.d).padStart(2, '0')}`
  }
  const span = daySpans.get(tz)
  if (span !== undefined && ms >= span.lo && ms <= span.hi) return span.date
  const p = parts(ms, tz)
  const date = `${p.y}-${String(p.mo).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`
  if (span !== undefined && span.date === date) {
    span.lo = Math.min(span.lo, ms)
    span.hi = Math.max(span.hi, ms)
  } else if (span !== undefined || daySpans.size < MAX_ZONES) daySpans.set(tz, { lo: ms, hi: ms, date })
  return date
}

/** The instant local midnight starts `date` (`YYYY-MM-DD`). */
export function startOfLocalDay(date: string, tz: string): number {
  const [y, m, d] = parseDay(date)
  const guess = utcDay(y, m, d).getTime()
  let start = guess - zoneOffsetMs(guess, tz)
  // A second pass settles days whose offset differs from the guess's (DST transitions).
  start = guess - zoneOffsetMs(start, tz)
  return start
}

/** `date` plus `days` calendar days; a RangeError when the result leaves years 0000–9999. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = parseDay(date)
  if (!Number.isInteger(days)) throw new RangeError(`not a whole number of days: ${days}`)
  const t = utcDay(y, m, d + days)
  const year = t.getUTCFullYear()
  if (Number.isNaN(year) || year < 0 || year > 9999) {
    throw new RangeError(`${date} + ${days} days is outside years 0000–9999`)
  }
  return t.toISOString().slice(0, 10)
}
