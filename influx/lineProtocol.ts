// InfluxDB line protocol serialisation of a Point (influx/point.ts).
// Reference: https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/
// The behaviour of the edge cases below was checked against influxd 1.6.7 (Debian's package).
import type { Field, Point } from './point.ts'

export class LineProtocolError extends Error {
  readonly code = 'INFLUX_E_LINE'
  override readonly name = 'LineProtocolError'
}

interface NameSyntax {
  readonly special: RegExp
  /** A backslash at the end, or right before a character we escape, cannot be written: influxd
   *  reads `a\\,` as an escaped backslash followed by a delimiter that ends the token early and
   *  answers "invalid tag format" (1.6.7); line protocol has no escape for the backslash itself. */
  readonly unwritable: RegExp
}
const MEASUREMENT: NameSyntax = { special: /[, ]/g, unwritable: /\\($|[, ])/ }
const KEY: NameSyntax = { special: /[,= ]/g, unwritable: /\\($|[,= ])/ }
const NEWLINES = /[\r\n]/g
/** Any character escapeName would change or check (a superset for both syntaxes). */
const NAME_NEEDS_WORK = /[,= \\\r\n]/
const STRING_NEEDS_WORK = /[\\"\r\n]/

/**
 * Escapes a measurement, tag key, tag value or field key.
 * CR/LF are replaced by a space (then escaped like any space): line protocol has no escape for
 * them outside string fields, and a raw newline ends the point — the rest of the line would be
 * parsed as a second, bogus point, and the writer's one-line-per-point accounting (batches,
 * bisection of bad lines) would be off. Tags are bounded sets, so this only defends against
 * stray input; it never happens for well-formed registry values.
 */
function escapeName(raw: string, syntax: NameSyntax, what: string): string {
  // Fast path: registry ids, kinds and field names almost never need escaping.
  if (!NAME_NEEDS_WORK.test(raw)) return raw
  const s = raw.replace(NEWLINES, ' ')
  if (syntax.unwritable.test(s)) {
    throw new LineProtocolError(
      `${what} ${JSON.stringify(raw)} has a backslash at its end or before a delimiter; line protocol cannot represent it`
    )
  }
  return s.replace(syntax.special, (c) => `\\${c}`)
}

/**
 * Escapes a string field value (backslash and double quote, per the reference).
 * Newlines become the two characters `\n` (CR: `\r`): influxd 1.x happens to accept a raw newline
 * inside quotes, but the reference says newlines are not supported in field values, other
 * parsers (2.x/3.x, Telegraf, the writer's per-line bookkeeping) split points on '\n', and one
 * point per physical line is what makes bisection of a rejected batch exact. The stored value then
 * reads back with a literal backslash-n — visible, never a broken write.
 */
function escapeString(s: string): string {
  if (!STRING_NEEDS_WORK.test(s)) return s
  return s
    .replace(/[\\"]/g, (c) => `\\${c}`)
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
}

function formatField(key: string, f: Field): string {
  switch (f.t) {
    case 'f':
      if (!Number.isFinite(f.v))
        throw new LineProtocolError(`field ${JSON.stringify(key)} is not a finite float: ${f.v}`)
      // String(number) yields forms influxd parses (1e+21, 1.5e-7); a float without a decimal
      // point is still a float in line protocol (only the `i` suffix makes an integer).
      return String(f.v)
    case 'i':
      if (!Number.isSafeInteger(f.v))
        throw new LineProtocolError(`field ${JSON.stringify(key)} is not a safe integer: ${f.v}`)
      return `${f.v}i`
    case 's':
      return `"${escapeString(f.v)}"`
    case 'b':
      return f.v ? 'true' : 'false'
  }
}

/** One point as one line (no trailing newline). Throws LineProtocolError for unwritable points. */
export function toLine(point: Point): string {
  const { measurement } = point
  if (measurement === '') throw new LineProtocolError('measurement is empty')
  // influxd treats a line starting with '#' as a comment and silently drops it.
  if (measurement.startsWith('#'))
    throw new LineProtocolError(`measurement ${JSON.stringify(measurement)} starts with '#' (a comment line)`)
  let line = escapeName(measurement, MEASUREMENT, 'measurement')

  // Sorted by key, as InfluxDB recommends (it sorts them itself otherwise, per point). An
  // insertion sort in place: a point has a handful of tags, and Array.prototype.sort allocates
  // a work array on every call — this runs once per point on the ack path.
  const tags = point.tags
  const tagKeys = Object.keys(tags)
  for (let i = 1; i < tagKeys.length; i++) {
    const k = tagKeys[i]!
    let j = i - 1
    for (; j >= 0 && tagKeys[j]! > k; j--) tagKeys[j + 1] = tagKeys[j]!
    tagKeys[j + 1] = k
  }
  for (const k of tagKeys) {
    const v = tags[k]
    if (v === undefined || v === '') continue
    if (k === '') throw new LineProtocolError('tag key is empty')
    if (k === 'time')
      throw new LineProtocolError(`tag key "time" is reserved (InfluxDB refuses the point: "invalid tag key")`)
    line += `,${escapeName(k, KEY, 'tag key')}=${escapeName(v, KEY, `tag ${JSON.stringify(k)} value`)}`
  }

  // Own keys in insertion order, as Object.entries gives them, without its array of pairs.
  const fields = point.fields
  let fieldSet = ''
  for (const k of Object.keys(fields)) {
    const f = fields[k]
    if (f === undefined) continue
    if (k === '') throw new LineProtocolError('field key is empty')
    // influxd 1.6.7 refuses a point whose only field is "time" and silently drops a "time" field
    // next to others (204, the field is gone): refuse it here, loudly.
    if (k === 'time') throw new LineProtocolError(`field key "time" is reserved (InfluxDB drops it)`)
    fieldSet += `${fieldSet === '' ? '' : ','}${escapeName(k, KEY, 'field key')}=${formatField(k, f)}`
  }
  if (fieldSet === '') throw new LineProtocolError(`point of ${JSON.stringify(measurement)} has no fields`)

  return `${line} ${fieldSet} ${point.timeNs}`
}

/** One line per point, in order; join with '\n' for a /write body. */
export function toLines(points: Iterable<Point>): string[] {
  const out: string[] = []
  for (const p of points) out.push(toLine(p))
  return out
}

/** Index of the space that ends a line's series key (the first unescaped space). */
export function seriesEnd(line: string): number {
  let i = 0
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i)
    if (c === 92 /* \ */) i++
    else if (c === 32 /* space */) break
  }
  return i
}

/**
 * A point's identity from its line: the series key (up to the first unescaped space) and the
 * timestamp (the last token; string fields are quoted, so a space inside one is never last).
 */
export function lineIdentity(line: string): string {
  return `${line.slice(0, seriesEnd(line))} ${line.slice(line.lastIndexOf(' ') + 1)}`
}
