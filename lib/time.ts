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

// Formatting an instant in a zone is costly (the simulator stamps every message with its offset,
// ingest and the fold ask every fact's local day: some 6 % of the node's CPU in the demo's
// catch-up), and the answers change rarely: they are kept per quarter hour. A quarter hour whose
// first and last millisecond have the same offset (the same local day) has it throughout — a
// zone changes its offset at most twice a year, never twice within a quarter hour, and the
// local date never goes back as time goes on (a clock set back repeats an hour of the same or
// the previous day). Quarters with a change inside are not kept; instants before 1970, when a
// few zones redefined their local time by about a day, are not cached at all.
const QUARTER_MS = 15 * 60_000
/** Quarters kept per zone (over a month); past that the zone's cache starts over. */
const MAX_QUARTERS = 4096
/** Zones cached; more are answered without a cache. */
const MAX_ZONES = 64
interface Quarter {
  readonly off: number
  /** The local day, or null when the quarter spans a local midnight. */
  readonly date: string | null
}
const quarters = new Map<string, Map<number, Quarter | null>>()

function offsetOf(ms: number, tz: string): number {
  const p = parts(ms, tz)
  return Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - Math.floor(ms / 1000) * 1000
}
function dateOf(ms: number, tz: string): string {
  const p = parts(ms, tz)
  return `${p.y}-${String(p.mo).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`
}

/** The quarter hour holding `ms`, when its offset is one throughout; undefined otherwise. */
function quarter(ms: number, tz: string): Quarter | undefined {
  if (ms < 0) return undefined
  let zone = quarters.get(tz)
  if (zone === undefined) {
    if (quarters.size >= MAX_ZONES) return undefined
    zone = new Map()
    quarters.set(tz, zone)
  }
  const k = Math.floor(ms / QUARTER_MS)
  let q = zone.get(k)
  if (q === undefined) {
    const lo = k * QUARTER_MS
    const hi = lo + QUARTER_MS - 1
    const off = offsetOf(lo, tz)
    if (offsetOf(hi, tz) !== off) q = null
    else {
      const d = dateOf(lo, tz)
      q = { off, date: dateOf(hi, tz) === d ? d : null }
    }
    if (zone.size >= MAX_QUARTERS) zone.clear()
    zone.set(k, q)
  }
  return q ?? undefined
}

/** The zone's offset from UTC at instant `ms`, in ms (Asia/Shanghai: +8 h). */
export function zoneOffsetMs(ms: number, tz: string): number {
  finiteMs(ms)
  return quarter(ms, tz)?.off ?? offsetOf(ms, tz)
}

/** `YYYY-MM-DD` of the local day that contains `ms`. */
export function localDate(ms: number, tz: string): string {
  finiteMs(ms)
  return quarter(ms, tz)?.date ?? dateOf(ms, tz)
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
