// The day fold: one module per fact kind behind a dispatch table
// (docs/conventions.md, rule 3), plus the local-midnight rollover. Pure apart from mutating the state it is
// given: no I/O, no clock.
import type { Fact } from '../../contracts/facts.ts'
import { addDays, startOfLocalDay } from '../../lib/time.ts'
import { foldConflict } from './conflict.ts'
import { foldDuplicate } from './duplicate.ts'
import { foldFill, lowerBound } from './fill.ts'
import { foldPosition } from './position.ts'
import { foldRejection } from './rejection.ts'
import { createDayState, type FoldContext, type FoldState } from './state.ts'
import { foldStatus } from './status.ts'
import type { FoldResult } from './types.ts'
import { foldWeighing, isRecovered } from './weighing.ts'

export type { FoldContext, FoldState } from './state.ts'
export { createFoldState } from './state.ts'
export type { FoldResult } from './types.ts'

type FoldOf = {
  readonly [K in Fact['kind']]: (state: FoldState, f: Extract<Fact, { kind: K }>, ctx: FoldContext) => FoldResult
}

const folds: FoldOf = {
  weighing: foldWeighing,
  fill: foldFill,
  position: foldPosition,
  status: foldStatus,
  rejection: foldRejection,
  duplicate: foldDuplicate,
  conflict: foldConflict
}

export function foldFact(state: FoldState, fact: Fact, ctx: FoldContext): FoldResult {
  return (folds[fact.kind] as (s: FoldState, f: Fact, c: FoldContext) => FoldResult)(state, fact, ctx)
}

/** Ticket identities of closed days are kept this long, so a late retransmission moves no opening twice. */
const PAST_TICKETS_MS = 8 * 86_400_000

/**
 * Local midnight: every day before `newDay` closes. Its closing stock (opening + in − out)
 * becomes the next day's opening, its recovered recyclables join the month to date (reset on
 * the first of a month), and entity state keeps only the latest reading before the new day.
 */
export function rollover(state: FoldState, newDay: string, ctx: FoldContext): void {
  if (newDay <= state.day) return
  for (let day = state.day; day < newDay; day = addDays(day, 1)) {
    const d = state.days.get(day)
    if (d) {
      for (const [siteId, s] of d.sites) {
        state.openingKg.set(siteId, (state.openingKg.get(siteId) ?? 0) + s.inKg - s.outKg)
        if (s.siteType === 'sorting')
          for (const [m, kg] of s.recyclablesOut) state.mtdBeforeKg.set(m, (state.mtdBeforeKg.get(m) ?? 0) + kg)
      }
      for (const [k, kg] of d.ticketKg) state.pastTickets.set(k, kg)
      state.days.delete(day)
    }
    if (addDays(day, 1).slice(0, 7) !== day.slice(0, 7)) state.mtdBeforeKg.clear()
  }
  const start = startOfLocalDay(newDay, ctx.tz)
  state.day = newDay
  state.start = start
  state.end = startOfLocalDay(addDays(newDay, 1), ctx.tz)
  if (!state.days.has(newDay)) state.days.set(newDay, createDayState(newDay, ctx.tz))
  for (const k of state.pastTickets.keys()) {
    if (Number(k.slice(k.lastIndexOf('|') + 1)) < start - PAST_TICKETS_MS) state.pastTickets.delete(k)
  }
  for (const b of state.bins.values()) {
    const n = lowerBound(b.ts.length, (i) => b.ts[i]!, start)
    if (n > 0) {
      b.before = { ts: b.ts[n - 1]!, fillPct: b.fillPct[n - 1]! }
      b.ts.splice(0, n)
      b.fillPct.splice(0, n)
    }
  }
  for (const v of state.vehicles.values()) {
    const n = lowerBound(v.ts.length, (i) => v.ts[i]!, start)
    if (n > 0) {
      v.beforeTs = v.ts[n - 1]!
      v.beforeFlags = v.flags[n - 1]!
      v.ts.splice(0, n)
      v.flags.splice(0, n)
    }
  }
}

export { isRecovered }
