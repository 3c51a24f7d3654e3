import type { DuplicateFact } from '../../contracts/facts.ts'
import { dayOf, deviceDay, type FoldContext, type FoldState } from './state.ts'
import type { FoldResult } from './types.ts'

/** A retransmission recorded by ingest, counted on the event day of the data it repeats. */
export function foldDuplicate(state: FoldState, f: DuplicateFact, ctx: FoldContext): FoldResult {
  const d = dayOf(state, f.ts, ctx.tz)
  if (!d) return { changes: [] }
  const dd = deviceDay(d, f.deviceId)
  const key = `${f.recvMs}|${f.identity}`
  const seen = (dd.duplicateKeys ??= new Set())
  if (seen.has(key)) return { changes: [] }
  seen.add(key)
  dd.duplicates++
  return { changes: [{ channel: 'device', deviceId: f.deviceId }] }
}
