import type { WeighingFact } from '../../contracts/facts.ts'
import { startOfLocalDay } from '../../lib/time.ts'
import { countRate, dayOf, deviceDay, deviceState, noteAccepted, seen, siteDay, type FoldContext, type FoldState } from './state.ts'
import type { FoldResult } from './types.ts'

const HOUR_MS = 3_600_000
const RECENT_MS = HOUR_MS

/** A ticket's identity: the same ticket retransmitted is the same ticket (design decision 4). */
export const ticketKey = (f: Pick<WeighingFact, 'ticketId' | 'direction' | 'ts'>): string => `w|${f.ticketId}|${f.direction}|${f.ts}`

const add = <K>(m: Map<K, number>, k: K, v: number): void => {
  m.set(k, (m.get(k) ?? 0) + v)
}

/** Recovered recyclables: outbound recyclable tickets of sorting centres (design.md). */
export const isRecovered = (f: Pick<WeighingFact, 'stream' | 'direction' | 'siteType'>): boolean =>
  f.stream === 'recyclable' && f.direction === 'out' && f.siteType === 'sorting'

/** Remembers an inbound ticket of the last hour (for tonnes per hour), whatever its day. */
export function noteRecentInbound(state: FoldState, f: WeighingFact): void {
  if (f.direction !== 'in') return
  const key = `${f.deviceId}|${ticketKey(f)}`
  if (state.recentIn.has(key)) return
  let newest = f.ts
  for (const [, [ts]] of state.recentIn) if (ts > newest) newest = ts
  if (f.ts <= newest - RECENT_MS) return
  state.recentIn.set(key, [f.ts, f.netKg])
  for (const [k, [ts]] of state.recentIn) if (ts <= newest - RECENT_MS) state.recentIn.delete(k)
}

export function foldWeighing(state: FoldState, f: WeighingFact, ctx: FoldContext): FoldResult {
  const dev = deviceState(state, f.deviceId)
  seen(dev, f.ts)
  noteRecentInbound(state, f)
  const d = dayOf(state, f.ts, ctx.tz)
  if (!d) {
    // A late ticket of an earlier day: it counts on its own day, so it moves today's opening
    // stock (and the month's recovered tonnes). The model also re-reads the opening from
    // InfluxDB, which is authoritative (see model/rebuild.ts).
    const key = `${f.deviceId}|${ticketKey(f)}`
    if (state.pastTickets.has(key)) return { changes: [], pastDay: true }
    state.pastTickets.add(key)
    add(state.openingKg, f.siteId, f.direction === 'in' ? f.netKg : -f.netKg)
    if (isRecovered(f) && f.material !== undefined && f.ts >= monthStart(state, ctx)) add(state.mtdBeforeKg, f.material, f.netKg)
    return { changes: [{ channel: 'site', siteId: f.siteId }, { channel: 'city' }], pastDay: true }
  }
  const fresh = noteAccepted(deviceDay(d, f.deviceId), ticketKey(f), f.seq, f.ts, f.recvMs, ctx.rules.lateAfterMs)
  countRate(state, f.deviceId, f.recvMs, true)
  if (!fresh) return { changes: [{ channel: 'device', deviceId: f.deviceId }] }
  const s = siteDay(d, f.siteId)
  s.siteType = f.siteType
  const hour = Math.min(23, Math.max(0, Math.floor((f.ts - d.start) / HOUR_MS)))
  if (f.direction === 'in') {
    s.inKg += f.netKg
    s.ticketsIn++
    s.hourlyInKg[hour]! += f.netKg
    if (f.stream === 'recyclable') s.recyclableInKg += f.netKg
    if (f.stream === 'recyclable' && f.material !== undefined) add(s.recyclablesIn, f.material, f.netKg)
  } else {
    s.outKg += f.netKg
    s.ticketsOut++
    s.hourlyOutKg[hour]! += f.netKg
    s.outTickets.push([f.ts, f.netKg])
    if (f.stream === 'recyclable') s.recyclableOutKg += f.netKg
    if (f.stream === 'recyclable' && f.material !== undefined) add(s.recyclablesOut, f.material, f.netKg)
  }
  if (s.lastTicketAt === null || f.ts > s.lastTicketAt) s.lastTicketAt = f.ts
  return { changes: [{ channel: 'site', siteId: f.siteId }, { channel: 'city' }, { channel: 'device', deviceId: f.deviceId }] }
}

/** Start of the month of today (local midnight of the first). */
export function monthStart(state: FoldState, ctx: FoldContext): number {
  return startOfLocalDay(`${state.day.slice(0, 8)}01`, ctx.tz)
}
