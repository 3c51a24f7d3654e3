// A site's stock through a day for the 日清 chart: cumulative opening + in − out at the end of
// each step up to now, then the projection ahead to the cut-off (fold/projection.ts,
// stockAheadKg). Pure: given the tickets and `now`.
import type { StockPoint } from '../../contracts/opsCentre.ts'
import { stockAheadKg, type ProjectionInput } from './projection.ts'
import { tonnes } from './round.ts'

export interface StockSeriesInput {
  readonly openingKg: number
  /** [event ms, kg] of the day's inbound and outbound tickets, any order. */
  readonly inTickets: readonly (readonly [number, number])[]
  readonly outTickets: readonly (readonly [number, number])[]
  readonly dayStart: number
  readonly dayEnd: number
  readonly stepMs: number
  /** The series ends here (now, for today; the day's end for a past day). */
  readonly until: number
}

export function stockSeries(i: StockSeriesInput): StockPoint[] {
  const end = Math.min(i.until, i.dayEnd)
  const n = Math.max(0, Math.ceil((end - i.dayStart) / i.stepMs))
  const delta = new Array<number>(n + 1).fill(0)
  // A ticket at t counts from the end of its step on: stock at the step's end includes it.
  const slot = (t: number): number => Math.max(0, Math.ceil((t - i.dayStart) / i.stepMs))
  for (const [t, kg] of i.inTickets) if (t >= i.dayStart && t <= end) delta[Math.min(n, slot(t))]! += kg
  for (const [t, kg] of i.outTickets) if (t >= i.dayStart && t <= end) delta[Math.min(n, slot(t))]! -= kg
  const points: StockPoint[] = [{ t: i.dayStart, stockT: tonnes(i.openingKg + delta[0]!) }]
  let kg = i.openingKg + delta[0]!
  for (let k = 1; k <= n; k++) {
    kg += delta[k]!
    points.push({ t: Math.min(i.dayStart + k * i.stepMs, end), stockT: tonnes(kg) })
  }
  return points
}

/** The expected stock from now to the cut-off, at the step's boundaries (and at the cut-off). */
export function stockProjection(p: ProjectionInput, stepMs: number): StockPoint[] {
  if (p.now >= p.cutoffMs || p.now >= p.dayEnd) return []
  const out: StockPoint[] = [{ t: p.now, stockT: tonnes(stockAheadKg(p, p.now)) }]
  let t = p.dayStart + Math.ceil((p.now - p.dayStart) / stepMs) * stepMs
  if (t === p.now) t += stepMs
  for (; t < p.cutoffMs; t += stepMs) out.push({ t, stockT: tonnes(stockAheadKg(p, t)) })
  out.push({ t: p.cutoffMs, stockT: tonnes(stockAheadKg(p, p.cutoffMs)) })
  return out
}
