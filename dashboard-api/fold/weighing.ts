import type { WeighingFact } from '../../contracts/facts.ts'
import { startOfLocalDay } from '../../lib/time.ts'
import {
  countRate,
  dayOf,
  deviceDay,
  deviceState,
  noteAccepted,
  seen,
  siteDay,
  type FoldContext,
  type FoldState
} from './state.ts'
import type { FoldResult } from './types.ts'

const HOUR_MS = 3_600_000
const RECENT_MS = HOUR_MS

/**
 * A ticket's identity: what makes its InfluxDB point (influx/schema/README.md) — the ticket id and
 * event time (the point's time) and its tags (site, direction, stream, material). The same
 * ticket retransmitted is the same ticket (docs/architecture.md, decision 4); sent again with another weight it
 * replaces the earlier one, as the store does (last write wins by point identity). The event
 * time stays last: rollover() reads it back to expire old identities.
 */
type TicketIdentity = Pick<WeighingFact, 'ticketId' | 'direction' | 'stream' | 'material' | 'siteId' | 'ts'>
export const ticketKey = (f: TicketIdentity): string =>
  `w|${f.ticketId}|${f.siteId}|${f.direction}|${f.stream}|${f.material ?? ''}|${f.ts}`

/** A ticket's identity on its device: the key of the day's and the last hour's tickets. */
const deviceTicketKey = (f: WeighingFact, ticket = ticketKey(f)): string => `${f.deviceId}|${ticket}`

const add = <K>(m: Map<K, number>, k: K, v: number): void => {
  m.set(k, (m.get(k) ?? 0) + v)
}

/** Recovered recyclables: outbound recyclable tickets of sorting centres. */
export const isRecovered = (f: Pick<WeighingFact, 'stream' | 'direction' | 'siteType'>): boolean =>
  f.stream === 'recyclable' && f.direction === 'out' && f.siteType === 'sorting'

/**
 * Remembers an inbound ticket of the last hour (for tonnes per hour), whatever its day; a
 * rewrite replaces its kg. O(1) amortised per ticket: the newest event time is kept, and stale
 * entries are dropped from the front of the map (insertion order, nearly event-time order);
 * one that arrived out of order waits behind a newer one — readers filter by time anyway.
 */
export function noteRecentInbound(state: FoldState, f: WeighingFact, deviceKey?: string): void {
  if (f.direction !== 'in') return
  const key = deviceKey ?? deviceTicketKey(f)
  const known = state.recentIn.get(key)
  if (known) {
    known[1] = f.netKg
    return
  }
  const recent = state.recentInNewest
  if (f.ts > recent.ts) recent.ts = f.ts
  if (f.ts <= recent.ts - RECENT_MS) return
  state.recentIn.set(key, [f.ts, f.netKg])
  for (const [k, [ts]] of state.recentIn) {
    if (ts > recent.ts - RECENT_MS) break
    state.recentIn.delete(k)
  }
}

export function foldWeighing(state: FoldState, f: WeighingFact, ctx: FoldContext): FoldResult {
  const dev = deviceState(state, f.deviceId)
  seen(dev, f.ts)
  // One identity string per ticket, shared by the maps that keep it for the hour and the day
  // (the device's key ends with the ticket's, so it holds it rather than a copy).
  const ticket = ticketKey(f)
  const key = deviceTicketKey(f, ticket)
  noteRecentInbound(state, f, key)
  const d = dayOf(state, f.ts, ctx.tz)
  if (!d) {
    // A late ticket of an earlier day: it counts on its own day, so it moves today's opening
    // stock (and the month's recovered tonnes) — once, or by the difference when it is
    // rewritten. The model also re-reads the opening from InfluxDB, which is authoritative
    // (see model/rebuild.ts).
    const before = state.pastTickets.get(key)
    if (before === f.netKg) return { changes: [], pastDay: true }
    state.pastTickets.set(key, f.netKg)
    const delta = f.netKg - (before ?? 0)
    add(state.openingKg, f.siteId, f.direction === 'in' ? delta : -delta)
    if (isRecovered(f) && f.material !== undefined && f.ts >= monthStart(state, ctx)) {
      add(state.mtdBeforeKg, f.material, delta)
    }
    return { changes: [{ channel: 'site', siteId: f.siteId }, { channel: 'city' }], pastDay: true }
  }
  const fresh = noteAccepted(deviceDay(d, f.deviceId), ticket, f.seq, f.ts, f.recvMs, ctx.rules.lateAfterMs)
  countRate(state, f.deviceId, f.recvMs, true)
  const before = d.ticketKg.get(key)
  d.ticketKg.set(key, f.netKg)
  if (!fresh && (before === undefined || before === f.netKg)) {
    return { changes: [{ channel: 'device', deviceId: f.deviceId }] }
  }
  const s = siteDay(d, f.siteId)
  s.siteType = f.siteType
  const hour = Math.min(23, Math.max(0, Math.floor((f.ts - d.start) / HOUR_MS)))
  // New ticket: add it. Rewritten ticket: add the difference (everything else that places it
  // — site, direction, stream, material, hour — is part of its identity, so it is unchanged).
  const kg = fresh ? f.netKg : f.netKg - before!
  const tickets = fresh ? 1 : 0
  if (f.direction === 'in') {
    s.inKg += kg
    s.ticketsIn += tickets
    s.hourlyInKg[hour]! += kg
    const j = fresh ? -1 : s.inTickets.findIndex(([ts, w]) => ts === f.ts && w === before)
    if (j >= 0) s.inTickets[j] = [f.ts, f.netKg]
    else s.inTickets.push([f.ts, f.netKg])
    if (f.stream === 'recyclable') s.recyclableInKg += kg
    if (f.stream === 'recyclable' && f.material !== undefined) add(s.recyclablesIn, f.material, kg)
  } else {
    s.outKg += kg
    s.ticketsOut += tickets
    s.hourlyOutKg[hour]! += kg
    const i = fresh ? -1 : s.outTickets.findIndex(([ts, w]) => ts === f.ts && w === before)
    if (i >= 0) s.outTickets[i] = [f.ts, f.netKg]
    else s.outTickets.push([f.ts, f.netKg])
    if (f.stream === 'recyclable') s.recyclableOutKg += kg
    if (f.stream === 'recyclable' && f.material !== undefined) add(s.recyclablesOut, f.material, kg)
  }
  if (s.lastTicketAt === null || f.ts > s.lastTicketAt) s.lastTicketAt = f.ts
  return {
    changes: [{ channel: 'site', siteId: f.siteId }, { channel: 'city' }, { channel: 'device', deviceId: f.deviceId }]
  }
}

/** Start of the month of today (local midnight of the first). */
export function monthStart(state: FoldState, ctx: FoldContext): number {
  return startOfLocalDay(`${state.day.slice(0, 8)}01`, ctx.tz)
}
