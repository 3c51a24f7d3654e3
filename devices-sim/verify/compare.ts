// Comparing the ground truth with what the system reports. Pure helpers: expected numbers from
// the truth, and a difference list; the I/O lives in influx.ts and rest.ts.
import type { Truth } from '../run/truth.ts'

export interface Difference {
  readonly source: 'influx' | 'rest'
  readonly subject: string
  readonly day: string
  readonly field: string
  readonly expected: string
  readonly actual: string
}

export interface VerifyReport {
  readonly checked: number
  readonly differences: Difference[]
  readonly notes: string[]
}

/** Tonnes to the kilogram, as the REST numbers are rounded. */
export const tonnes = (kg: number): number => Math.round(kg) / 1000

export function truthDays(t: Truth): string[] {
  const days = new Set<string>(t.sites.map((s) => s.day))
  for (const d of t.devices) for (const day of Object.keys(d.days)) days.add(day)
  return [...days].sort()
}

export function formatDifferences(diffs: readonly Difference[]): string {
  const rows = [
    ['SOURCE', 'DAY', 'SUBJECT', 'FIELD', 'EXPECTED', 'ACTUAL'],
    ...diffs.map((d) => [d.source, d.day, d.subject, d.field, d.expected, d.actual])
  ]
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd()
    )
    .join('\n')
}
