// Will a site clear today, and stay within capacity?
//
// Method:
// - Inbound: today's inbound so far divided by the share of a day's inbound that normally
//   has arrived by now, from a fixed hourly arrival profile of Wuxi-style collection (night
//   runs in old towns, a morning peak, a quieter afternoon; DAY_PROFILE_PCT). That is the
//   day's elapsed share weighted by when waste actually arrives. The share is floored at 15 %
//   (reached about 06:30) so a few night tickets do not extrapolate into a day far above
//   capacity, and the projection is never below what already came in.
// - Outbound: what has gone out, plus the recent outbound rate (the last two hours, or the
//   time since midnight when shorter) kept up until the site's cut-off; never more than the
//   site will have had in total.
// - Status before the cut-off: on-track when the projected stock at the cut-off is within
//   tolerance at the current outbound rate; at-risk when it is not, but what is left to ship
//   (opening + projected inbound − outbound so far − tolerance) could still go out by the
//   cut-off at a feasible rate — a site can ship its design capacity in FEASIBLE_HOURS of
//   outbound work; will-not-clear when even that rate would not empty it in time. (Stations
//   ship mostly in the afternoon, so a morning without outbound is at-risk, not a lost day.)
//   From the cut-off on (and for closed days), only the actual stock counts: cleared when
//   within tolerance, otherwise will-not-clear.
// - overCapacity: projected inbound above the design capacity (t/day).
import type { SiteProjection } from '../../contracts/ops.ts'

/** Share (%) of a day's inbound tonnes arriving in each local hour. Sums to 100. */
export const DAY_PROFILE_PCT: readonly number[] = [
  1, 1, 1, 1, 2, 5, 8, 9, 9, 8, 7, 6, 4, 4, 5, 5, 5, 4, 3, 3, 3, 3, 2, 1
]
const HOUR_MS = 3_600_000
const MIN_SHARE = 0.15
const OUT_RATE_WINDOW_MS = 2 * HOUR_MS
/** Hours of outbound work in which a site can ship its design capacity (t/day). */
export const FEASIBLE_HOURS = 10

/** Cumulative share (0–1) of the day's inbound expected by `elapsedMs` after local midnight. */
export function profileShare(elapsedMs: number): number {
  if (elapsedMs <= 0) return 0
  const hours = Math.min(24, elapsedMs / HOUR_MS)
  const whole = Math.floor(hours)
  let pct = 0
  for (let h = 0; h < whole; h++) pct += DAY_PROFILE_PCT[h]!
  if (whole < 24) pct += DAY_PROFILE_PCT[whole]! * (hours - whole)
  return pct / 100
}

export interface ProjectionInput {
  readonly openingKg: number
  readonly inKg: number
  readonly outKg: number
  /** Today's outbound tickets [event ms, kg]. */
  readonly outTickets: readonly (readonly [number, number])[]
  readonly dayStart: number
  readonly dayEnd: number
  readonly cutoffMs: number
  readonly now: number
  readonly capacityTpd: number
  readonly toleranceT: number
}

const t3 = (kg: number): number => Math.round(kg) / 1000

export function projectSite(p: ProjectionInput): SiteProjection {
  const tolKg = p.toleranceT * 1000
  const stockKg = p.openingKg + p.inKg - p.outKg
  if (p.now >= p.cutoffMs || p.now >= p.dayEnd) {
    return {
      status: stockKg <= tolKg ? 'cleared' : 'will-not-clear',
      projectedInT: t3(p.inKg),
      projectedOutT: t3(p.outKg),
      projectedStockT: t3(stockKg),
      overCapacity: p.inKg > p.capacityTpd * 1000
    }
  }
  const elapsed = p.now - p.dayStart
  const share = Math.max(profileShare(elapsed), MIN_SHARE)
  const projIn = Math.max(p.inKg, p.inKg / share)
  const windowStart = Math.max(p.dayStart, p.now - OUT_RATE_WINDOW_MS)
  let recentOut = 0
  for (const [ts, kg] of p.outTickets) if (ts > windowStart && ts <= p.now) recentOut += kg
  const windowMs = p.now - windowStart
  const rate = windowMs > 0 ? recentOut / windowMs : 0
  const projOut = Math.min(p.outKg + rate * (p.cutoffMs - p.now), Math.max(p.outKg, p.openingKg + projIn))
  const projStock = p.openingKg + projIn - projOut
  const toShipKg = p.openingKg + projIn - p.outKg - tolKg
  const feasibleKg = ((p.capacityTpd * 1000) / FEASIBLE_HOURS) * ((p.cutoffMs - p.now) / HOUR_MS)
  const status = projStock <= tolKg ? 'on-track' : toShipKg <= feasibleKg ? 'at-risk' : 'will-not-clear'
  return {
    status,
    projectedInT: t3(projIn),
    projectedOutT: t3(projOut),
    projectedStockT: t3(projStock),
    overCapacity: projIn > p.capacityTpd * 1000
  }
}
