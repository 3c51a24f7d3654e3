import type { BinStatus, BinView } from '../../contracts/ops.ts'
import type { Bin, ResolvedRules } from '../../contracts/registry.ts'
import type { FoldState, Reading } from './state.ts'

/** The fill rate is taken over readings since the last emptying, within this span before the latest reading. */
const RATE_WINDOW_MS = 6 * 3_600_000

export function binStatus(fillPct: number | null, rules: ResolvedRules): BinStatus {
  if (fillPct === null) return 'no-data'
  if (fillPct >= rules.binOverflowPct) return 'overflow'
  if (fillPct >= rules.binNeedsServicePct) return 'needs-service'
  return 'ok'
}

/**
 * A bin now. Emptied events are consecutive readings (by event time; the first of today pairs
 * with the last before today) whose fill dropped by at least emptiedDropPct; collected today
 * means at least one. Predicted full: from the fill rate between the first and the last reading
 * since the last emptying (within 6 h), extrapolated to binOverflowPct; null when not filling
 * or already there.
 */
export function binView(state: FoldState, bin: Bin, batteryPct: number | null, rules: ResolvedRules): BinView {
  const b = state.bins.get(bin.id)
  const n = b?.ts.length ?? 0
  const before: Reading | null = b?.before ?? null
  const latest: Reading | null = n > 0 ? { ts: b!.ts[n - 1]!, fillPct: b!.fillPct[n - 1]! } : before
  // The readings as one sequence: the last before today, then today's.
  const shift = before ? 1 : 0
  const count = n + shift
  const tsAt = (i: number): number => (i < shift ? before!.ts : b!.ts[i - shift]!)
  const pctAt = (i: number): number => (i < shift ? before!.fillPct : b!.fillPct[i - shift]!)
  let emptied = 0
  let lastEmptiedAt: number | null = null
  let sinceEmptied = 0 // index of the first reading after the last drop
  for (let i = 1; i < count; i++) {
    if (pctAt(i - 1) - pctAt(i) >= rules.emptiedDropPct) {
      sinceEmptied = i
      if (tsAt(i) < state.end) {
        emptied++
        lastEmptiedAt = tsAt(i)
      }
    }
  }
  let predictedFullAt: number | null = null
  if (latest !== null && latest.fillPct < rules.binOverflowPct) {
    let first = sinceEmptied
    while (first < count - 1 && tsAt(first) < latest.ts - RATE_WINDOW_MS) first++
    if (first < count && latest.ts > tsAt(first) && latest.fillPct > pctAt(first)) {
      const rate = (latest.fillPct - pctAt(first)) / (latest.ts - tsAt(first))
      predictedFullAt = Math.round(latest.ts + (rules.binOverflowPct - latest.fillPct) / rate)
    }
  }
  const fillPct = latest?.fillPct ?? null
  return {
    binId: bin.id,
    district: bin.district,
    stream: bin.stream,
    lat: bin.location.lat,
    lon: bin.location.lon,
    fillPct,
    lastReadingAt: latest?.ts ?? null,
    status: binStatus(fillPct, rules),
    emptiedToday: emptied,
    lastEmptiedAt,
    collectedToday: emptied > 0,
    predictedFullAt,
    batteryPct
  }
}
