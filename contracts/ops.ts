import { z } from 'zod'
import { Material } from './device/weighing.ts'
import { RejectionCode } from './rejection.ts'

// The operations numbers (docs/architecture.md, "The operations numbers"), as dashboard-api serves them over
// REST and the websocket. Tonnes are rounded to the kilogram (3 decimals); percentages to
// 0.1. Times are epoch ms; days are local days (QINGYUN_TZ) as YYYY-MM-DD.

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/)
const Pct = z.number().nullable().describe('null when the denominator is 0')

export const SiteStatus = z.enum(['cleared', 'on-track', 'at-risk', 'will-not-clear'])
export type SiteStatus = z.infer<typeof SiteStatus>

export const SiteProjection = z.object({
  /** Whether the site will end the day with stock within its tolerance. */
  status: SiteStatus,
  projectedInT: z.number(),
  projectedOutT: z.number(),
  projectedStockT: z.number(),
  /** Projected inbound above design capacity. */
  overCapacity: z.boolean()
})
export type SiteProjection = z.infer<typeof SiteProjection>

export const SiteBalance = z.object({
  siteId: z.string(),
  name: z.string(),
  type: z.enum(['transfer', 'sorting']),
  district: z.string(),
  day: Day,
  inT: z.number(),
  outT: z.number(),
  /** Yesterday's closing stock. */
  openingT: z.number(),
  /** opening + in − out. */
  stockT: z.number(),
  /** out / (opening + in) × 100. */
  clearancePct: Pct,
  /** in / design capacity × 100. */
  capacityPct: Pct,
  capacityTpd: z.number(),
  toleranceT: z.number(),
  /** Local time after which stock above tolerance raises an alert, HH:MM. */
  cutoff: z.string(),
  /** Stock within tolerance (at the end of a past day; now, for today). */
  cleared: z.boolean(),
  ticketsIn: z.number().int(),
  ticketsOut: z.number().int(),
  lastTicketAt: z.number().nullable(),
  projection: SiteProjection,
  /** Where the site is (WGS-84, from the registry), for the map. */
  location: z.object({ lon: z.number(), lat: z.number() }).optional()
})
export type SiteBalance = z.infer<typeof SiteBalance>

export const HourPoint = z.object({
  hour: z.number().int().min(0).max(23),
  start: z.number(),
  /** null for an hour of today not reached yet (nothing to draw, not 0 t). */
  inT: z.number().nullable(),
  outT: z.number().nullable()
})
export type HourPoint = z.infer<typeof HourPoint>

/** Sites by projected status. A site with no ticket yet today is `noData`, not on track. */
export const SiteCounts = z.object({
  total: z.number().int(),
  cleared: z.number().int(),
  onTrack: z.number().int(),
  atRisk: z.number().int(),
  willNotClear: z.number().int(),
  overCapacity: z.number().int(),
  noData: z.number().int()
})
export type SiteCounts = z.infer<typeof SiteCounts>

export const CitySummary = z.object({
  day: Day,
  /** The devices are driven by the simulator (`qingyun start --demo`): the page says so. */
  simulated: z.boolean(),
  inT: z.number(),
  outT: z.number(),
  targetT: z.number(),
  targetPct: Pct,
  /**
   * Where inbound should be by now to meet the target: target × the share of a day's inbound
   * that normally has arrived by now (dashboard-api/fold/projection.ts); the whole target for past days.
   */
  paceT: z.number(),
  /** Share of the local day elapsed, %. */
  dayElapsedPct: z.number(),
  /** Inbound tonnes over the last 60 minutes. */
  tonnesPerHour: z.number(),
  hourly: z.array(HourPoint),
  sites: SiteCounts,
  /** The same counts for transfer stations and sorting centres apart. */
  sitesByType: z.object({ transfer: SiteCounts, sorting: SiteCounts }),
  alerts: z.object({ critical: z.number().int(), warning: z.number().int(), info: z.number().int() })
})
export type CitySummary = z.infer<typeof CitySummary>

/** One weighbridge ticket as stored. */
export const Ticket = z.object({
  ts: z.number(),
  deviceId: z.string(),
  ticketId: z.string(),
  direction: z.enum(['in', 'out']),
  stream: z.string(),
  material: z.string().nullable(),
  grossKg: z.number(),
  tareKg: z.number(),
  netKg: z.number(),
  plate: z.string()
})
export type Ticket = z.infer<typeof Ticket>

export const DailyRow = z.object({
  day: Day,
  siteId: z.string(),
  inT: z.number(),
  outT: z.number(),
  openingT: z.number(),
  stockT: z.number(),
  clearancePct: Pct,
  capacityPct: Pct,
  cleared: z.boolean(),
  /** At least one ticket at the site that day; a day without any is "no data", not "cleared". */
  hasData: z.boolean()
})
export type DailyRow = z.infer<typeof DailyRow>

export const Recyclables = z.object({
  day: Day,
  byMaterial: z.array(z.object({ material: Material, inT: z.number(), outT: z.number() })),
  /** Per sorting centre: out / in × 100 of recyclables today. */
  sortingYield: z.array(z.object({ siteId: z.string(), inT: z.number(), outT: z.number(), yieldPct: Pct })),
  /** Month to date (the month of `day`), recovered tonnes (outbound from sorting centres) against targets. */
  monthToDate: z.array(z.object({ material: Material, t: z.number(), targetT: z.number().nullable(), pct: Pct }))
})
export type Recyclables = z.infer<typeof Recyclables>

export const BinStatus = z.enum(['ok', 'needs-service', 'overflow', 'no-data'])
export type BinStatus = z.infer<typeof BinStatus>

export const BinView = z.object({
  binId: z.string(),
  district: z.string(),
  stream: z.string(),
  lat: z.number(),
  lon: z.number(),
  fillPct: z.number().nullable(),
  lastReadingAt: z.number().nullable(),
  status: BinStatus,
  /** Emptied events today (a sharp fill drop). */
  emptiedToday: z.number().int(),
  lastEmptiedAt: z.number().nullable(),
  collectedToday: z.boolean(),
  /** From the recent fill rate; null when not filling or unknown. */
  predictedFullAt: z.number().nullable(),
  batteryPct: z.number().nullable()
})
export type BinView = z.infer<typeof BinView>

export const VehicleState = z.enum(['moving', 'idle', 'offline', 'no-data'])
export type VehicleState = z.infer<typeof VehicleState>

export const VehicleView = z.object({
  vehicleId: z.string(),
  plate: z.string(),
  type: z.string(),
  district: z.string(),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  speedKmh: z.number().nullable(),
  headingDeg: z.number().nullable(),
  lastFixAt: z.number().nullable(),
  state: VehicleState,
  /** Zone the vehicle is in now, if any. */
  zoneId: z.string().nullable(),
  /** In a zone outside the window its type is allowed there, now. */
  zoneWindowViolation: z.boolean(),
  /** Over the speed limit of its zone (or the city default) plus the rules' tolerance, now. */
  speeding: z.boolean(),
  /** The speed limit where its latest fix is (its zone's, else the city default), km/h. */
  speedLimitKmh: z.number().nullable().optional(),
  zoneViolationsToday: z.number().int(),
  speedViolationsToday: z.number().int()
})
export type VehicleView = z.infer<typeof VehicleView>

export const DeviceView = z.object({
  deviceId: z.string(),
  type: z.string(),
  /** The site, bin or vehicle it belongs to. */
  ref: z.string(),
  enabled: z.boolean(),
  lastSeenAt: z.number().nullable(),
  /** No message for longer than the offline threshold of its type. */
  offline: z.boolean(),
  batteryPct: z.number().nullable(),
  rssiDbm: z.number().nullable(),
  firmware: z.string().nullable()
})
export type DeviceView = z.infer<typeof DeviceView>

/** Accepted and rejected objects over a recent window, city-wide and per device. */
export const RejectionRate = z.object({
  windowMs: z.number(),
  accepted: z.number().int(),
  rejected: z.number().int(),
  byDevice: z.array(z.object({ deviceId: z.string(), accepted: z.number().int(), rejected: z.number().int() }))
})
export type RejectionRate = z.infer<typeof RejectionRate>

/** One rewrite of a data point with other content, as the completeness report lists it. */
export const ConflictDetail = z.object({
  /** Event time of the data point, epoch ms. */
  ts: z.number(),
  /** When the rewrite arrived, epoch ms. */
  recvMs: z.number(),
  kind: z.enum(['weighing', 'fill', 'position', 'status']),
  ticketId: z.string().optional(),
  seq: z.number().int().optional(),
  /** Fields before and after, in line protocol without `recv_ms` (e.g. `…,net_kg=8000,…`). */
  previous: z.string(),
  current: z.string()
})
export type ConflictDetail = z.infer<typeof ConflictDetail>

export const CompletenessRow = z.object({
  day: Day,
  /** device id, or site id when grouped by site. */
  key: z.string(),
  by: z.enum(['device', 'site']),
  accepted: z.number().int(),
  rejected: z.partialRecord(RejectionCode, z.number().int()),
  rejectedTotal: z.number().int(),
  duplicates: z.number().int(),
  /**
   * Data points rewritten with other content (same identity, e.g. a ticket sent again with
   * another weight). The numbers follow the last write; each rewrite is counted here.
   */
  conflicts: z.number().int(),
  /** The first conflicts of the day (at most 100 per device), on rows by device that have any. */
  conflictDetails: z.array(ConflictDetail).optional(),
  /** Accepted messages that arrived more than the late threshold after their event time. */
  late: z.number().int(),
  /** Gaps in seq. */
  missing: z.number().int(),
  /** Today only: a registered device with no data at all (none in the node's 30-day look-back).
   *  Such a device is "never reported", not offline: it raises no offline alert. */
  neverReported: z.boolean().optional(),
  /** Today only, rows by site: how many of its devices never reported. */
  devicesNeverReported: z.number().int().optional()
})
export type CompletenessRow = z.infer<typeof CompletenessRow>

export const AlertType = z.enum([
  'site-will-not-clear',
  'site-over-capacity',
  'site-stock-after-cutoff',
  'bin-overflow',
  'bin-near-full',
  'vehicle-zone-window',
  'vehicle-speeding',
  'device-offline',
  'device-low-battery',
  'rejection-spike',
  'spool-full'
])
export type AlertType = z.infer<typeof AlertType>

export const Severity = z.enum(['critical', 'warning', 'info'])
export type Severity = z.infer<typeof Severity>

/** One level of an episode whose level can change (bin fill: near-full ⇄ overflow), from `at`. */
export const AlertLevel = z.object({ at: z.number(), type: AlertType, severity: Severity })
export type AlertLevel = z.infer<typeof AlertLevel>

export const AlertSubjectKind = z.enum(['site', 'bin', 'vehicle', 'device', 'city', 'district'])
export type AlertSubjectKind = z.infer<typeof AlertSubjectKind>

/** Local wall-clock times (QINGYUN_TZ) of an alert's moments, `YYYY-MM-DD HH:mm:ss`. */
export const AlertLocalTimes = z.object({
  openedAt: z.string(),
  updatedAt: z.string(),
  resolvedAt: z.string().nullable(),
  acknowledgedAt: z.string().nullable()
})

export const Alert = z.object({
  /** Stable for one episode: type + subject + opening time. */
  id: z.string(),
  /** The current level; see `history` for an episode that changed level. */
  type: AlertType,
  severity: Severity,
  subject: z.object({
    kind: AlertSubjectKind,
    id: z.string(),
    /** Display name from the registry (site, bin, plate, district); added when the alert is read. */
    name: z.string().optional()
  }),
  state: z.enum(['open', 'resolved']),
  openedAt: z.number(),
  updatedAt: z.number(),
  resolvedAt: z.number().nullable(),
  acknowledgedAt: z.number().nullable(),
  acknowledgedBy: z.string().nullable(),
  message: z.string(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  /** The operator's note with the acknowledgement. */
  acknowledgedNote: z.string().nullable().optional(),
  /** Every level the episode had, oldest first; absent while it has had only its first. */
  history: z.array(AlertLevel).optional(),
  /** Devices of a grouped alert (device-offline per district), at most 500. */
  members: z.array(z.object({ id: z.string(), name: z.string().optional() })).optional(),
  // Added when the alert is read (dashboard-api/alerts/present.ts), never stored:
  /** The subject's district. */
  district: z.string().nullable().optional(),
  /** Where the subject is (WGS-84), for "show on map"; null when it has no place. */
  location: z.object({ lon: z.number(), lat: z.number() }).nullable().optional(),
  /** The measured value and the limit it crossed, with their unit (km/h, %, t). */
  value: z.number().nullable().optional(),
  limit: z.number().nullable().optional(),
  unit: z.string().nullable().optional(),
  local: AlertLocalTimes.optional(),
  /** The language `message` is written in. */
  lang: z.enum(['zh', 'en']).optional()
})
export type Alert = z.infer<typeof Alert>
