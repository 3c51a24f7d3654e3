import { z } from 'zod'
import { SiteStatus } from './ops.ts'

// What the operations centre acts on (docs/architecture.md, "The operations numbers"): the
// ranked exceptions of today, a site's stock through the day with its projection, and a
// vehicle's day replayed. Served over REST (dashboard-api/routes/ops.ts); tonnes to the kg.

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/)

/** A sentence for the operator, in the page's two languages. */
export const Reason = z.object({ zh: z.string(), en: z.string() })
export type Reason = z.infer<typeof Reason>

export const ExceptionKind = z.enum(['will-not-clear', 'at-risk', 'over-capacity'])
export type ExceptionKind = z.infer<typeof ExceptionKind>

export const SiteException = z.object({
  /** 1 = most urgent. */
  rank: z.number().int().positive(),
  kind: ExceptionKind,
  siteId: z.string(),
  name: z.string(),
  type: z.enum(['transfer', 'sorting']),
  district: z.string(),
  status: SiteStatus,
  overCapacity: z.boolean(),
  stockT: z.number(),
  toleranceT: z.number(),
  /** Stock expected at the cut-off: stock now + inbound still expected − outbound at the recent rate. */
  projectedStockAtCutoffT: z.number(),
  projectedInT: z.number(),
  capacityTpd: z.number(),
  /** Local HH:MM, and as epoch ms on the day. */
  cutoff: z.string(),
  cutoffAt: z.number(),
  /** Minutes from now to the cut-off; 0 once it has passed. */
  minutesToCutoff: z.number().int().nonnegative(),
  /** Outbound tonnes still needed by the cut-off to end within tolerance. */
  outboundNeededT: z.number(),
  /** The load one outbound trip carries at this site (median outbound ticket today, or the default). */
  typicalLoadT: z.number(),
  typicalLoadFrom: z.enum(['site-today', 'default']),
  tripsNeeded: z.number().int().nonnegative(),
  reason: Reason
})
export type SiteException = z.infer<typeof SiteException>

export const Exceptions = z.object({
  day: Day,
  /** When the list was computed, epoch ms. */
  at: z.number(),
  items: z.array(SiteException)
})
export type Exceptions = z.infer<typeof Exceptions>

export const StockPoint = z.object({
  /** Epoch ms (the end of the step). */
  t: z.number(),
  stockT: z.number()
})
export type StockPoint = z.infer<typeof StockPoint>

export const SiteStock = z.object({
  siteId: z.string(),
  day: Day,
  stepMinutes: z.number().int().positive(),
  openingT: z.number(),
  toleranceT: z.number(),
  cutoff: z.string(),
  cutoffAt: z.number(),
  /** Cumulative stock (opening + in − out) at the end of each step, up to now (or the day's end). */
  actual: z.array(StockPoint),
  /** Expected stock from now to the cut-off (empty once the cut-off has passed, and for past days). */
  projected: z.array(StockPoint),
  status: SiteStatus,
  reason: Reason.nullable()
})
export type SiteStock = z.infer<typeof SiteStock>

export const TrackPoint = z.object({
  t: z.number(),
  lat: z.number(),
  lon: z.number(),
  speedKmh: z.number(),
  headingDeg: z.number().nullable()
})
export type TrackPoint = z.infer<typeof TrackPoint>

export const TrackStop = z.object({
  from: z.number(),
  to: z.number(),
  minutes: z.number(),
  lat: z.number(),
  lon: z.number(),
  /** The site or zone the stop is in, if any. */
  place: z.object({ kind: z.enum(['site', 'zone']), id: z.string(), name: z.string() }).nullable()
})
export type TrackStop = z.infer<typeof TrackStop>

export const TrackViolation = z.object({
  type: z.enum(['zone-window', 'speeding']),
  from: z.number(),
  to: z.number(),
  zoneId: z.string().nullable(),
  /** Highest speed in the stretch, km/h; for speeding, the limit too. */
  maxSpeedKmh: z.number(),
  limitKmh: z.number().nullable()
})
export type TrackViolation = z.infer<typeof TrackViolation>

export const TrackTipping = z.object({
  t: z.number(),
  siteId: z.string(),
  siteName: z.string().nullable(),
  ticketId: z.string(),
  direction: z.enum(['in', 'out']),
  netKg: z.number()
})
export type TrackTipping = z.infer<typeof TrackTipping>

export const VehicleTrack = z.object({
  vehicleId: z.string(),
  plate: z.string(),
  type: z.string(),
  day: Day,
  /** Fixes read for the day (before downsampling). */
  fixes: z.number().int(),
  /** The day had more fixes than QINGYUN_TRACK_MAX_FIXES: the track stops at the last one read. */
  truncated: z.boolean(),
  points: z.array(TrackPoint),
  distanceKm: z.number(),
  stops: z.array(TrackStop),
  violations: z.array(TrackViolation),
  tipping: z.array(TrackTipping)
})
export type VehicleTrack = z.infer<typeof VehicleTrack>
