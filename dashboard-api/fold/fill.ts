import type { FillFact } from '../../contracts/facts.ts'
import {
  countRate,
  dayOf,
  deviceDay,
  deviceState,
  newer,
  noteAccepted,
  pointKey,
  seen,
  type BinState,
  type FoldContext,
  type FoldState,
  type Reading
} from './state.ts'
import type { FoldResult } from './types.ts'

/** Index of the first element whose ts is ≥ `ts` in an array sorted by ts. */
export function lowerBound(n: number, tsAt: (i: number) => number, ts: number): number {
  let a = 0
  let b = n
  while (a < b) {
    const m = (a + b) >> 1
    if (tsAt(m) < ts) a = m + 1
    else b = m
  }
  return a
}

export function binState(state: FoldState, binId: string): BinState {
  let b = state.bins.get(binId)
  if (!b) {
    b = { binId, ts: [], fillPct: [], before: null }
    state.bins.set(binId, b)
  }
  return b
}

/**
 * Inserts a reading in event-time order; one reading per event time. A reading sent again for
 * the same time replaces the earlier one: last write wins, as in InfluxDB (influx/schema/README.md).
 */
export function insertReading(b: BinState, todayStart: number, r: Reading): void {
  if (r.ts < todayStart) {
    if (b.before === null || r.ts >= b.before.ts) b.before = r
    return
  }
  const n = b.ts.length
  if (n === 0 || r.ts > b.ts[n - 1]!) {
    b.ts.push(r.ts)
    b.fillPct.push(r.fillPct)
    return
  }
  const i = lowerBound(n, (k) => b.ts[k]!, r.ts)
  if (b.ts[i] === r.ts) b.fillPct[i] = r.fillPct
  else {
    b.ts.splice(i, 0, r.ts)
    b.fillPct.splice(i, 0, r.fillPct)
  }
}

export function foldFill(state: FoldState, f: FillFact, ctx: FoldContext): FoldResult {
  const dev = deviceState(state, f.deviceId)
  seen(dev, f.ts)
  dev.battery = newer(dev.battery, f.ts, f.batteryPct)
  const d = dayOf(state, f.ts, ctx.tz)
  if (d)
    noteAccepted(
      deviceDay(d, f.deviceId),
      f.seq === undefined ? pointKey('fill', f.ts, d.start) : undefined,
      f.seq,
      f.ts,
      f.recvMs,
      ctx.rules.lateAfterMs
    )
  countRate(state, f.deviceId, f.recvMs, true)
  insertReading(binState(state, f.binId), state.start, { ts: f.ts, fillPct: f.fillPct })
  return {
    changes: [
      { channel: 'bin', binId: f.binId },
      { channel: 'device', deviceId: f.deviceId }
    ]
  }
}
