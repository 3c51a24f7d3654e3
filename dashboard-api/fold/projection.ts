// Will a site clear by its cut-off today, and stay within capacity?
//
// Method:
// - Inbound: today's inbound so far divided by the share of a day's inbound that normally
//   has arrived by now, from a fixed hourly arrival profile of Wuxi-style collection (night
//   runs in old towns, a morning peak, a quieter afternoon; DAY_PROFILE_PCT): the day's
//   observed rate, weighted by when waste actually arrives. The share is floored at 15 %
//   (reached about 06:30) so a few night tickets do not extrapolate into a day far above
//   capacity, and the projection is never below what already came in. The inbound expected
//   between now and an instant t is that day's total × (share(t) − share(now)).
// - Outbound: the recent outbound rate (the last two hours, or the time since midnight when
//   shorter) kept up until the cut-off; never more than the site will have had in total.
// - Projected stock at the cut-off = stock now + inbound expected until the cut-off − outbound
//   at the recent rate until the cut-off (stockAheadKg gives it for any instant up to the cut-off,
//   for the stock chart).
// - Status before the cut-off: on-track when that projected stock is within tolerance; at-risk
//   when it is not, but what is left to ship (stock now + inbound expected until the cut-off −
//   tolerance) could still go out by the cut-off at a feasible rate — a site can ship its design
//   capacity in FEASIBLE_HOURS of outbound work; will-not-clear when even that rate would not
//   empty it in time. (Stations ship mostly in the afternoon, so a morning without outbound is
//   at-risk, not a lost day.) From the cut-off on (and for closed days), only the actual stock
//   counts: cleared when within tolerance, otherwise will-not-clear.
// - overCapacity: the day's projected inbound above the design capacity (t/day).
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

/** The day's expected inbound (kg) and the recent outbound rate (kg/ms), as of `now`. */
function rates(p: ProjectionInput): { dayInKg: number; outRate: number } {
  const share = Math.max(profileShare(p.now - p.dayStart), MIN_SHARE)
  const dayInKg = Math.max(p.inKg, p.inKg / share)
  const windowStart = Math.max(p.dayStart, p.now - OUT_RATE_WINDOW_MS)
  let recentOut = 0
  for (const [ts, kg] of p.outTickets) if (ts > windowStart && ts <= p.now) recentOut += kg
  const windowMs = p.now - windowStart
  return { dayInKg, outRate: windowMs > 0 ? recentOut / windowMs : 0 }
}

/** Inbound (kg) still expected between now and `t` at the day's observed rate. */
function inboundBetween(p: ProjectionInput, dayInKg: number, t: number): number {
  const now = Math.max(profileShare(p.now - p.dayStart), MIN_SHARE)
  const then = Math.max(profileShare(t - p.dayStart), now)
  // Never less than what the day's total still leaves (the floor makes the two differ early on).
  return Math.max(0, Math.min(dayInKg - p.inKg, dayInKg * (then - now)))
}

/**
 * Expected stock (kg) at `t` (now ≤ t): stock now + inbound expected by t − outbound at the
 * recent rate (never below zero: a site cannot ship what it does not have).
 */
export function stockAheadKg(p: ProjectionInput, t: number): number {
  const stockKg = p.openingKg + p.inKg - p.outKg
  if (t <= p.now) return stockKg
  const { dayInKg, outRate } = rates(p)
  const inKg = inboundBetween(p, dayInKg, t)
  return Math.max(0, stockKg + inKg - outRate * (t - p.now))
}

/** Outbound kg still needed by the cut-off to end within tolerance (no outbound assumed from now). */
export function outboundNeededKg(p: ProjectionInput): number {
  const stockKg = p.openingKg + p.inKg - p.outKg
  const tolKg = p.toleranceT * 1000
  if (p.now >= p.cutoffMs || p.now >= p.dayEnd) return Math.max(0, stockKg - tolKg)
  const { dayInKg } = rates(p)
  return Math.max(0, stockKg + inboundBetween(p, dayInKg, p.cutoffMs) - tolKg)
}

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
  const { dayInKg } = rates(p)
  const projStock = stockAheadKg(p, p.cutoffMs)
  const toShipKg = outboundNeededKg(p)
  const feasibleKg = ((p.capacityTpd * 1000) / FEASIBLE_HOURS) * ((p.cutoffMs - p.now) / HOUR_MS)
  const status = projStock <= tolKg ? 'on-track' : toShipKg <= feasibleKg ? 'at-risk' : 'will-not-clear'
  return {
    status,
    projectedInT: t3(dayInKg),
    projectedOutT: t3(stockKg + inboundBetween(p, dayInKg, p.cutoffMs) - projStock + p.outKg),
    projectedStockT: t3(projStock),
    overCapacity: dayInKg > p.capacityTpd * 1000
  }
}
