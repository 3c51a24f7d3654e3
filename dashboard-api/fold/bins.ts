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
  const readings: readonly Reading[] = b?.readings ?? []
  const latest = readings.length > 0 ? readings[readings.length - 1]! : (b?.before ?? null)
  let emptied = 0
  let lastEmptiedAt: number | null = null
  let sinceEmptied = 0 // index into `all` of the first reading after the last drop
  const all: Reading[] = b?.before ? [b.before, ...readings] : [...readings]
  for (let i = 1; i < all.length; i++) {
    if (all[i - 1]!.fillPct - all[i]!.fillPct >= rules.emptiedDropPct) {
      sinceEmptied = i
      if (all[i]!.ts < state.end) {
        emptied++
        lastEmptiedAt = all[i]!.ts
      }
    }
  }
  let predictedFullAt: number | null = null
  if (latest !== null && latest.fillPct < rules.binOverflowPct) {
    let first = sinceEmptied
    while (first < all.length - 1 && all[first]!.ts < latest.ts - RATE_WINDOW_MS) first++
    const a = all[first]
    if (a !== undefined && latest.ts > a.ts && latest.fillPct > a.fillPct) {
      const rate = (latest.fillPct - a.fillPct) / (latest.ts - a.ts)
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
