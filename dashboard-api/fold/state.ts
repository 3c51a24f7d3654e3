// The state the day fold keeps. One DayState per local day (today, plus any
// later day a device with a fast clock already reported); entity state (bins, vehicles,
// devices) spans days, with the per-day counters derived from today's readings.
//
// The fold functions mutate this state in place and are otherwise pure: no I/O, no clock
// (time comes from the facts; views take `now`).
import type { Material } from '../../contracts/device/weighing.ts'
import type { ConflictFact } from '../../contracts/facts.ts'
import type { RejectionCode } from '../../contracts/rejection.ts'
import type { ResolvedRules, Zone } from '../../contracts/registry.ts'
import { addDays, localDate, startOfLocalDay } from '../../lib/time.ts'
import { createIntervalSet, type IntervalSet } from './intervals.ts'

export interface FoldContext {
  readonly tz: string
  readonly rules: ResolvedRules
  readonly zones: readonly Zone[]
}

export interface SiteDay {
  /** From the tickets (facts carry it from the registry at ingest). */
  siteType: 'transfer' | 'sorting' | null
  inKg: number
  outKg: number
  ticketsIn: number
  ticketsOut: number
  lastTicketAt: number | null
  readonly hourlyInKg: number[]
  readonly hourlyOutKg: number[]
  /** Outbound tickets [ts, kg], for the recent outbound rate of the projection. */
  readonly outTickets: [number, number][]
  /** Inbound tickets [ts, kg], for the stock through the day (fold/stock.ts). */
  readonly inTickets: [number, number][]
  /** Recyclable stream, kg (with or without a material). */
  recyclableInKg: number
  recyclableOutKg: number
  /** Recyclable kg by material. */
  readonly recyclablesIn: Map<Material, number>
  readonly recyclablesOut: Map<Material, number>
}

/** Completeness of one device on one day. */
export interface DeviceDay {
  accepted: number
  late: number
  duplicates: number
  /** Data points rewritten with other content (last write wins; see fold/conflict.ts). */
  conflicts: number
  readonly rejected: Partial<Record<RejectionCode, number>>
  /** seq of accepted data (their identity when they carry one). */
  readonly acceptedSeqs: IntervalSet
  readonly lateSeqs: IntervalSet
  /** seq of everything the device sent that day, accepted or rejected: the gaps are missing. */
  readonly allSeqs: IntervalSet
  /** Identities of accepted data without seq (pointKey), and of tickets → late. */
  readonly keys: Map<string | number, boolean>
  /** Rejections, duplicates and conflicts already counted; made at the first (most devices have none). */
  rejectionKeys?: Set<string>
  duplicateKeys?: Set<string>
  conflictKeys?: Set<string>
  /** The first conflicts of the day (bounded, fold/conflict.ts). */
  readonly conflictList: ConflictFact[]
}

export interface DayState {
  readonly day: string
  readonly start: number
  readonly end: number
  readonly sites: Map<string, SiteDay>
  readonly devices: Map<string, DeviceDay>
  /** Net kg of each ticket folded on this day (device|ticket identity), so a rewrite can replace it. */
  readonly ticketKg: Map<string, number>
}

export interface Reading {
  readonly ts: number
  readonly fillPct: number
}

export interface BinState {
  readonly binId: string
  /**
   * Readings from the start of today on, by event time, as two columns (event time, fill %):
   * plain number arrays V8 keeps unboxed, 16 bytes a reading where a {ts, fillPct} object cost
   * ~64 (a bin reporting every 5 minutes makes 288 a day).
   */
  readonly ts: number[]
  readonly fillPct: number[]
  /** The latest reading before today. */
  before: Reading | null
}

export const ZONE_VIOLATION = 1
export const SPEEDING = 2

export interface Fix {
  readonly ts: number
  readonly lat: number
  readonly lon: number
  readonly speedKmh: number
  readonly headingDeg: number | null
  readonly vehicleType: string
}

export interface VehicleState {
  readonly vehicleId: string
  /** Event times and violation flags of today's fixes, by event time. */
  readonly ts: number[]
  readonly flags: number[]
  /** The latest fix (max event time), any day. */
  latest: Fix | null
  /** Flags of the latest fix before today. */
  beforeFlags: number
  beforeTs: number | null
}

export interface Latest<T> {
  ts: number
  value: T
}

export interface DeviceState {
  lastSeenAt: number | null
  battery: Latest<number> | null
  rssi: Latest<number> | null
  firmware: Latest<string> | null
}

export interface FoldState {
  day: string
  start: number
  end: number
  readonly days: Map<string, DayState>
  /** Opening stock of today per site (yesterday's closing). */
  readonly openingKg: Map<string, number>
  /** Recovered recyclables (outbound of sorting centres) from the first of the month to today's midnight. */
  readonly mtdBeforeKg: Map<Material, number>
  /**
   * Ticket identities of earlier days seen live, with their net kg: a late ticket moves the
   * opening once, and a rewrite of it by the difference.
   */
  readonly pastTickets: Map<string, number>
  /** Inbound tickets of the last hour (any day): identity → [ts, kg]. */
  readonly recentIn: Map<string, [number, number]>
  /** The newest event time among them (entries older than it by an hour go). */
  readonly recentInNewest: { ts: number }
  readonly bins: Map<string, BinState>
  readonly vehicles: Map<string, VehicleState>
  readonly devices: Map<string, DeviceState>
  /** Accepted/rejected objects per arrival minute and device, for the rejection rate. */
  readonly rate: Map<number, Map<string, { accepted: number; rejected: number }>>
}

export function createDayState(day: string, tz: string): DayState {
  const end = startOfLocalDay(addDays(day, 1), tz)
  return { day, start: startOfLocalDay(day, tz), end, sites: new Map(), devices: new Map(), ticketKg: new Map() }
}

export function createFoldState(day: string, tz: string): FoldState {
  const d = createDayState(day, tz)
  return {
    day,
    start: d.start,
    end: d.end,
    days: new Map([[day, d]]),
    openingKg: new Map(),
    mtdBeforeKg: new Map(),
    pastTickets: new Map(),
    recentIn: new Map(),
    recentInNewest: { ts: -Infinity },
    bins: new Map(),
    vehicles: new Map(),
    devices: new Map(),
    rate: new Map()
  }
}

/** The DayState of the day `ts` falls on, or undefined for a day before today. */
export function dayOf(state: FoldState, ts: number, tz: string): DayState | undefined {
  if (ts < state.start) return undefined
  if (ts < state.end) return state.days.get(state.day)!
  const day = localDate(ts, tz)
  let d = state.days.get(day)
  if (!d) {
    d = createDayState(day, tz)
    state.days.set(day, d)
  }
  return d
}

export function siteDay(d: DayState, siteId: string): SiteDay {
  let s = d.sites.get(siteId)
  if (!s) {
    s = {
      siteType: null,
      inKg: 0,
      outKg: 0,
      ticketsIn: 0,
      ticketsOut: 0,
      lastTicketAt: null,
      hourlyInKg: new Array<number>(24).fill(0),
      hourlyOutKg: new Array<number>(24).fill(0),
      outTickets: [],
      inTickets: [],
      recyclableInKg: 0,
      recyclableOutKg: 0,
      recyclablesIn: new Map(),
      recyclablesOut: new Map()
    }
    d.sites.set(siteId, s)
  }
  return s
}

export function deviceDay(d: DayState, deviceId: string): DeviceDay {
  let s = d.devices.get(deviceId)
  if (!s) {
    s = {
      accepted: 0,
      late: 0,
      duplicates: 0,
      conflicts: 0,
      rejected: {},
      acceptedSeqs: createIntervalSet(),
      lateSeqs: createIntervalSet(),
      allSeqs: createIntervalSet(),
      keys: new Map(),
      conflictList: []
    }
    d.devices.set(deviceId, s)
  }
  return s
}

export function deviceState(state: FoldState, deviceId: string): DeviceState {
  let s = state.devices.get(deviceId)
  if (!s) {
    s = { lastSeenAt: null, battery: null, rssi: null, firmware: null }
    state.devices.set(deviceId, s)
  }
  return s
}

/** Keeps the value with the later event time (out-of-order data: latest = max event time). */
export function newer<T>(cur: Latest<T> | null, ts: number, value: T | undefined): Latest<T> | null {
  if (value === undefined) return cur
  return cur === null || ts >= cur.ts ? { ts, value } : cur
}

export function seen(dev: DeviceState, ts: number): void {
  if (dev.lastSeenAt === null || ts > dev.lastSeenAt) dev.lastSeenAt = ts
}

const RATE_BUCKET_MS = 60_000

/** Counts an object in the rejection-rate window by arrival minute. */
export function countRate(state: FoldState, deviceId: string, recvMs: number, accepted: boolean): void {
  const bucket = Math.floor(recvMs / RATE_BUCKET_MS)
  let m = state.rate.get(bucket)
  if (!m) {
    m = new Map()
    state.rate.set(bucket, m)
  }
  let c = m.get(deviceId)
  if (!c) {
    c = { accepted: 0, rejected: 0 }
    m.set(deviceId, c)
  }
  if (accepted) c.accepted++
  else c.rejected++
}

const POINT_KINDS = { fill: 0, position: 1, status: 2 } as const
const POINT_KEY_SPAN_MS = 2 ** 28 // > a day of 25 hours; keeps the key a small integer

/**
 * The identity of a device's point without seq on a day: its kind and event time. A small
 * integer (milliseconds into the day × 4 + the kind), which V8 keeps unboxed in a Map, where a
 * string such as `position|1764633600000` cost some 60 bytes more per point: a tracker
 * without seq reporting every 15 s makes 5,760 a day. Event times that do not fit keep the
 * string.
 */
export function pointKey(kind: keyof typeof POINT_KINDS, ts: number, dayStart: number): string | number {
  const ms = ts - dayStart
  return Number.isInteger(ms) && ms >= 0 && ms < POINT_KEY_SPAN_MS ? ms * 4 + POINT_KINDS[kind] : `${kind}|${ts}`
}

/**
 * Accepted data of a device on a day: de-duplicated by the data's identity (ticket; else seq;
 * else kind + event time, as the point's identity in InfluxDB), counted late when it arrived
 * more than lateAfterMs after its event time. A retransmission arriving later may make a point
 * late (InfluxDB keeps the later recv_ms). Returns true when the data is new.
 */
export function noteAccepted(
  dd: DeviceDay,
  key: string | number | undefined,
  seq: number | undefined,
  ts: number,
  recvMs: number,
  lateAfterMs: number
): boolean {
  const late = recvMs - ts > lateAfterMs
  if (seq !== undefined) dd.allSeqs.add(seq)
  if (key === undefined && seq !== undefined) {
    const fresh = dd.acceptedSeqs.add(seq)
    if (fresh) dd.accepted++
    if (late && dd.lateSeqs.add(seq)) dd.late++
    return fresh
  }
  const k = key ?? `t|${ts}`
  const wasLate = dd.keys.get(k)
  if (wasLate === undefined) {
    dd.keys.set(k, late)
    dd.accepted++
    if (late) dd.late++
    if (seq !== undefined) dd.acceptedSeqs.add(seq)
    return true
  }
  if (late && !wasLate) {
    dd.keys.set(k, true)
    dd.late++
  }
  return false
}
