import type { Exceptions, SiteStock, VehicleTrack } from '../../contracts/opsCentre.ts'
import type {
  Ticket,
  Alert,
  BinStatus,
  BinView,
  CitySummary,
  CompletenessRow,
  DailyRow,
  DeviceView,
  HourPoint,
  Recyclables,
  RejectionRate,
  SiteBalance,
  VehicleState,
  VehicleView
} from '../../contracts/ops.ts'
import type { DeviceRejections } from '../../contracts/rejection.ts'
import type { RejectionPage } from './rejections.ts'
import type { DaySummary } from './summaryFold.ts'

/** What changed, so the websocket layer knows which channels to push (it re-reads the views). */
export type Change =
  | { readonly channel: 'city' }
  | { readonly channel: 'site'; readonly siteId: string }
  | { readonly channel: 'bin'; readonly binId: string }
  | { readonly channel: 'vehicle'; readonly vehicleId: string }
  | { readonly channel: 'alert'; readonly alertId: string }
  | { readonly channel: 'device'; readonly deviceId: string }
  /** Local midnight passed: every view starts a new day. */
  | { readonly channel: 'day' }

export interface BinFilter {
  readonly status?: BinStatus
  readonly district?: string
  readonly stream?: string
}

export interface VehicleFilter {
  readonly state?: VehicleState
  readonly district?: string
  readonly type?: string
}

export interface AlertFilter {
  readonly state?: 'open' | 'resolved'
  readonly severity?: Alert['severity']
  readonly type?: Alert['type']
  /** Alerts opened or updated on this local day; default: open ones plus today's. */
  readonly day?: string
}

/** What the operations centre filters alerts by (any of each list), and the language to read
 *  them in (default zh, the page's). */
export interface AlertQuery extends AlertFilter {
  readonly states?: readonly ('open' | 'resolved')[]
  readonly severities?: readonly Alert['severity'][]
  readonly types?: readonly Alert['type'][]
  readonly districts?: readonly string[]
  readonly lang?: 'zh' | 'en'
}

/**
 * The operations model: committed facts folded into each local day's state, rebuilt from
 * InfluxDB at start (docs/architecture.md, decision 3). Today's views come from memory; other days from
 * InfluxDB. `day` defaults to today in QINGYUN_TZ.
 */
export interface Model {
  start(): Promise<void>
  close(): Promise<void>
  /** True once start() has rebuilt today from InfluxDB; views must not be read before. */
  ready(): boolean
  today(): string
  city(day?: string): Promise<CitySummary>
  sites(day?: string): Promise<SiteBalance[]>
  site(siteId: string, day?: string): Promise<SiteBalance | undefined>
  siteHourly(siteId: string, day?: string): Promise<HourPoint[]>
  /** A site's tickets of a day, newest first, at most `limit`; read from InfluxDB, the record. */
  tickets(siteId: string, day?: string, limit?: number): Promise<Ticket[]>
  /** Daily balances over [from, to] inclusive, per site (or one site). */
  history(from: string, to: string, siteId?: string): Promise<DailyRow[]>
  recyclables(day?: string): Promise<Recyclables>
  /** Sites that will not clear, are at risk or over capacity, ranked (dashboard-api/fold/exceptions.ts). */
  exceptions(day?: string): Promise<Exceptions>
  /** A site's stock through the day and the projection to its cut-off; undefined for an unknown site. */
  siteStock(siteId: string, day?: string, stepMinutes?: number): Promise<SiteStock | undefined>
  /** A vehicle's day from InfluxDB; undefined for an unknown vehicle. */
  track(vehicleId: string, day?: string): Promise<VehicleTrack | undefined>
  bins(filter?: BinFilter): BinView[]
  vehicles(filter?: VehicleFilter): VehicleView[]
  completeness(by: 'device' | 'site', day?: string): Promise<CompletenessRow[]>
  /** A device's rejected objects of a day from InfluxDB, newest first, a page at a time (model/rejections.ts). */
  deviceRejections(deviceId: string, day: string, page: RejectionPage): Promise<DeviceRejections>
  /** A closed day's summary (docs/history.md); undefined for today and later days. */
  daySummary?(day: string): Promise<DaySummary | undefined>
  /** Resolves once no day summary is being recomputed or waits to be (benchmarks, tests). */
  summariesSettled?(): Promise<void>
  /** Data of this closed day reached InfluxDB without passing through the model (the spool's
   *  backlog at start): its summary must be computed again. */
  markDayChanged?(day: string): void
  devices(): DeviceView[]
  rejectionRate(): RejectionRate
  /** Alerts as read (names, district, place, local times, message in `lang`); see present.ts. */
  alerts(filter?: AlertQuery): Alert[]
  acknowledge(alertId: string, by: string, now?: number, note?: string): Promise<Alert | undefined>
  /** Many at once with one note; the alerts are returned as read in `lang`. */
  acknowledgeMany(
    alertIds: readonly string[],
    by: string,
    note: string,
    lang?: 'zh' | 'en',
    now?: number
  ): Promise<{ alerts: Alert[]; unknown: string[] }>
  onChange(listener: (change: Change) => void): () => void
}
