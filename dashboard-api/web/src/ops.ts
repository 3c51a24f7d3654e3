// The operations centre's questions, answered from the live data the page already has (the
// `sites` and `city` channels): which sites will not clear today and why, how far the city is
// against the day's pace, how much stock a site will hold at its cut-off. Pure functions
// given `now`, unit-tested in ops.test.ts.
import type { HourPoint, SiteBalance, SiteStatus } from '../../../contracts/ops.ts'
import { profileShare } from '../../fold/projection.ts'

const MIN_MS = 60_000
const HOUR_MS = 3_600_000

/**
 * Tonnes one outbound trip carries when a site has shipped nothing today to average over: a
 * transfer container truck's typical net load. Shown with the number, so it reads as an
 * estimate.
 */
export const DEFAULT_TRIP_T = 15

const STATUS_RANK: Record<SiteStatus, number> = { 'will-not-clear': 0, 'at-risk': 1, 'on-track': 2, cleared: 3 }

/** The local cut-off as epoch ms: the day's start plus HH:MM (the city's zone has no DST shift within a day). */
export function cutoffAt(dayStart: number, hhmm: string): number {
  return dayStart + Number(hhmm.slice(0, 2)) * HOUR_MS + Number(hhmm.slice(3, 5)) * MIN_MS
}

export interface Exception {
  readonly site: SiteBalance
  readonly status: SiteStatus
  readonly cutoffMs: number
  /** Until the cut-off; ≤ 0 once it has passed. */
  readonly msToCutoff: number
  /** Stock expected at the cut-off (the actual stock once it has passed). */
  readonly stockAtCutoffT: number
  /** Outbound tonnes still needed to bring the stock within tolerance by the cut-off. */
  readonly toShipT: number
  readonly tripT: number
  readonly trips: number
  /** Whether tripT is the site's own average today, not DEFAULT_TRIP_T. */
  readonly tripMeasured: boolean
  readonly overCapacity: boolean
}

export function exceptionOf(site: SiteBalance, dayStart: number, now: number): Exception | null {
  const p = site.projection
  const problem = p.status === 'will-not-clear' || p.status === 'at-risk' || p.overCapacity
  if (!problem) return null
  const cutoffMs = cutoffAt(dayStart, site.cutoff)
  const past = now >= cutoffMs
  const stockAtCutoffT = past ? site.stockT : p.projectedStockT
  // Before the cut-off: all the day's projected inbound must leave, less what already went.
  const left = past ? site.stockT : site.openingT + p.projectedInT - site.outT
  const toShipT = Math.max(0, round1(left - site.toleranceT))
  const tripMeasured = site.ticketsOut > 0 && site.outT > 0
  const tripT = tripMeasured ? site.outT / site.ticketsOut : DEFAULT_TRIP_T
  return {
    site,
    status: p.status,
    cutoffMs,
    msToCutoff: cutoffMs - now,
    stockAtCutoffT,
    toShipT,
    tripT,
    trips: toShipT > 0 ? Math.ceil(toShipT / tripT) : 0,
    tripMeasured,
    overCapacity: p.overCapacity
  }
}

/** Problem sites, worst first: will-not-clear, at-risk, over capacity only; then by stock above tolerance. */
export function rankExceptions(sites: Iterable<SiteBalance>, dayStart: number, now: number): Exception[] {
  const out: Exception[] = []
  for (const s of sites) {
    const e = exceptionOf(s, dayStart, now)
    if (e) out.push(e)
  }
  return out.sort(
    (a, b) =>
      STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
      b.stockAtCutoffT - b.site.toleranceT - (a.stockAtCutoffT - a.site.toleranceT) ||
      a.site.name.localeCompare(b.site.name, 'zh-CN')
  )
}

export interface TypeCounts {
  total: number
  /** Sites with no ticket today and nothing to clear: not counted as cleared or on track. */
  idle: number
  cleared: number
  onTrack: number
  atRisk: number
  willNotClear: number
  overCapacity: number
}

const emptyCounts = (): TypeCounts => ({
  total: 0,
  idle: 0,
  cleared: 0,
  onTrack: 0,
  atRisk: 0,
  willNotClear: 0,
  overCapacity: 0
})

/** Transfer stations and sorting centres counted apart (their days are not alike). */
export function countByType(sites: Iterable<SiteBalance>): Record<'transfer' | 'sorting', TypeCounts> {
  const out = { transfer: emptyCounts(), sorting: emptyCounts() }
  for (const s of sites) {
    const c = out[s.type]
    c.total++
    if (s.projection.overCapacity) c.overCapacity++
    const idle = s.ticketsIn + s.ticketsOut === 0 && s.openingT <= s.toleranceT
    if (idle) {
      c.idle++
      continue
    }
    if (s.projection.status === 'cleared') c.cleared++
    else if (s.projection.status === 'on-track') c.onTrack++
    else if (s.projection.status === 'at-risk') c.atRisk++
    else c.willNotClear++
  }
  return out
}

/** Hours whose start is still ahead of `now` have no value yet: null, not 0. */
export function reached(hourly: readonly HourPoint[], now: number): boolean[] {
  return hourly.map((p) => p.start <= now)
}

export interface Pace {
  /** Cumulative inbound at each hour's end (at `now` for the current hour); null ahead. */
  readonly actual: Array<number | null>
  /** The target's share expected by each hour's end, from the arrival profile the projection uses. */
  readonly expected: number[]
  /** Expected by now, tonnes. */
  readonly expectedNowT: number
}

export function cityPace(hourly: readonly HourPoint[], targetT: number, now: number): Pace {
  const dayStart = hourly[0]?.start ?? now
  let cum = 0
  const actual = hourly.map((p) => {
    if (p.start > now || p.inT === null) return null
    cum += p.inT
    return round1(cum)
  })
  const expected = hourly.map((p) => round1(targetT * profileShare(p.start + HOUR_MS - dayStart)))
  return { actual, expected, expectedNowT: round1(targetT * profileShare(now - dayStart)) }
}

export interface StockCurve {
  /** [epoch ms, stock t] through the day so far, ending at `now` with the current stock. */
  readonly past: Array<[number, number]>
  /** [epoch ms, stock t] from now to the cut-off, ending at the projected stock; empty after the cut-off. */
  readonly ahead: Array<[number, number]>
  readonly cutoffMs: number
}

/**
 * A site's stock through the day (opening + inbound − outbound so far, per hour) and the
 * projection drawn ahead to the cut-off: inbound follows the arrival profile to the projected
 * inbound, outbound goes on at a steady rate to the projected outbound, so the line ends on
 * the projection's stock at the cut-off.
 */
export function stockCurve(site: SiteBalance, hourly: readonly HourPoint[], now: number): StockCurve {
  const dayStart = hourly[0]?.start ?? now
  const cutoffMs = cutoffAt(dayStart, site.cutoff)
  const past: Array<[number, number]> = [[dayStart, round3(site.openingT)]]
  let stock = site.openingT
  for (const p of hourly) {
    const end = p.start + HOUR_MS
    if (end > now) break
    stock += (p.inT ?? 0) - (p.outT ?? 0)
    past.push([end, round3(stock)])
  }
  past.push([now, round3(site.stockT)])
  const ahead: Array<[number, number]> = []
  if (now < cutoffMs) {
    const p = site.projection
    const s0 = profileShare(now - dayStart)
    const sEnd = profileShare(cutoffMs - dayStart)
    const steps = Math.max(1, Math.ceil((cutoffMs - now) / HOUR_MS))
    for (let i = 0; i <= steps; i++) {
      const t = i === steps ? cutoffMs : now + i * HOUR_MS
      const f = (t - now) / (cutoffMs - now)
      const inShare = sEnd > s0 ? (profileShare(t - dayStart) - s0) / (sEnd - s0) : f
      const inT = site.inT + (p.projectedInT - site.inT) * inShare
      const outT = site.outT + (p.projectedOutT - site.outT) * f
      ahead.push([t, round3(site.openingT + inT - outT)])
    }
  }
  return { past, ahead, cutoffMs }
}

const round1 = (x: number): number => Math.round(x * 10) / 10
const round3 = (x: number): number => Math.round(x * 1000) / 1000
