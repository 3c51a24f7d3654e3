import type { ConflictFact } from '../../contracts/facts.ts'
import { dayOf, deviceDay, type FoldContext, type FoldState } from './state.ts'
import type { FoldResult } from './types.ts'

/** Conflicts listed per device and day; beyond this they are counted only. */
export const MAX_LISTED_CONFLICTS = 100

/**
 * A data point rewritten with other content, recorded by ingest. The numbers already follow
 * the last write (the data fact's own fold replaces the earlier value); this counts the change
 * on the event day of the data and keeps the first few for the completeness report.
 */
export function foldConflict(state: FoldState, f: ConflictFact, ctx: FoldContext): FoldResult {
  const d = dayOf(state, f.ts, ctx.tz)
  if (!d) return { changes: [] }
  const dd = deviceDay(d, f.deviceId)
  const key = `${f.recvMs}|${f.identity}`
  const seen = (dd.conflictKeys ??= new Set())
  if (seen.has(key)) return { changes: [] }
  seen.add(key)
  dd.conflicts++
  if (dd.conflictList.length < MAX_LISTED_CONFLICTS) dd.conflictList.push(f)
  return { changes: [{ channel: 'device', deviceId: f.deviceId }] }
}
