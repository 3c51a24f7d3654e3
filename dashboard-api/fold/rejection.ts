import type { RejectionFact } from '../../contracts/facts.ts'
import { countRate, dayOf, deviceDay, type FoldContext, type FoldState } from './state.ts'
import type { FoldResult } from './types.ts'

/** The rejection record's identity in InfluxDB: device, code, kind, time (event, else arrival), and index|code|excerpt. */
export const rejectionKey = (
  f: Pick<RejectionFact, 'code' | 'msgKind' | 'ts' | 'recvMs' | 'index' | 'excerpt'>
): string => `${f.code}|${f.msgKind}|${f.ts ?? f.recvMs}|${f.index ?? ''}|${f.excerpt}`

/** Counted on the event day when the object had a readable ts, else on the arrival day. */
export function foldRejection(state: FoldState, f: RejectionFact, ctx: FoldContext): FoldResult {
  countRate(state, f.deviceId, f.recvMs, false)
  const d = dayOf(state, f.ts ?? f.recvMs, ctx.tz)
  if (!d) return { changes: [] }
  const dd = deviceDay(d, f.deviceId)
  if (f.seq !== undefined) dd.allSeqs.add(f.seq)
  const key = rejectionKey(f)
  const seen = (dd.rejectionKeys ??= new Set())
  if (seen.has(key)) return { changes: [] }
  seen.add(key)
  dd.rejected[f.code] = (dd.rejected[f.code] ?? 0) + 1
  return { changes: [{ channel: 'device', deviceId: f.deviceId }] }
}
