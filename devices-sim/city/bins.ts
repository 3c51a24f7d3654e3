// Bin fill: each bin fills at its own daily rate, shaped by the hour of day (morning and
// evening peaks), and drops to a small residue when a truck empties it.
import type { Bin } from '../../contracts/registry.ts'
import { between, rngFor } from './rng.ts'
import { HOUR, type Emptying } from './types.ts'

/** Relative waste generation per local hour: peaks around 07–08 and 18–20. */
export const HOURLY_WEIGHTS = [
  0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.0, 1.8, 1.0, 0.8, 1.0, 1.3, 0.9, 0.7, 0.7, 0.8, 1.2, 1.8, 2.0, 1.5, 0.9, 0.5, 0.3
] as const
const WEIGHT_SUM = HOURLY_WEIGHTS.reduce((a, b) => a + b, 0)
const CUMULATIVE = HOURLY_WEIGHTS.reduce<number[]>((acc, w) => [...acc, acc[acc.length - 1]! + w], [0])

/** Share of a day's waste generated between local midnight and `ms` after it (0..1 for one day). */
export function dayShare(sinceMidnightMs: number): number {
  const days = Math.floor(sinceMidnightMs / (24 * HOUR))
  const inDay = sinceMidnightMs - days * 24 * HOUR
  const h = Math.floor(inDay / HOUR)
  return days + (CUMULATIVE[h]! + HOURLY_WEIGHTS[h]! * ((inDay - h * HOUR) / HOUR)) / WEIGHT_SUM
}

export interface BinModel {
  readonly bin: Bin
  /** Fill, %, at the instant `t` (0..150). */
  fillAt(t: number): number
}

export function binModel(bin: Bin, seed: number, dayStart: number, emptyings: readonly Emptying[]): BinModel {
  const rng = rngFor(seed, 'bin', bin.id)
  const dailyPct = between(rng, 45, 130)
  const initial = between(rng, 15, 60)
  const residue = between(rng, 1, 4)
  const times = emptyings.map((e) => e.t).sort((a, b) => a - b)
  return {
    bin,
    fillAt(t) {
      let since = dayStart
      let base = initial
      for (const e of times) {
        if (e > t) break
        since = e
        base = residue
      }
      const grown = base + dailyPct * (dayShare(t - dayStart) - dayShare(since - dayStart))
      return Math.min(150, Math.max(0, grown))
    }
  }
}
