import type { Alert, BinView, DeviceView, RejectionRate, SiteBalance, VehicleView } from '../../contracts/ops.ts'
import type { AlertFilter } from '../model/types.ts'

/** Thresholds the alert rules use; the model maps the registry's rules onto these. */
export interface AlertRules {
  /** Bin fill at or above this is "near full" (needs service). */
  readonly binNearFullPct: number
  /** Bin fill at or above this is overflowing. */
  readonly binOverflowPct: number
  readonly lowBatteryPct: number
  /** A spike: at least this many rejected objects in the window … */
  readonly rejectionSpikeMin: number
  /** … and at least this share of all objects in the window, 0–1. */
  readonly rejectionSpikeShare: number
  /** This many devices of one district offline at one evaluation raise one grouped alert. */
  readonly offlineGroupMin: number
}

/** A snapshot of the views the rules read, at `now`. */
export interface AlertInputs {
  readonly now: number
  readonly day: string
  readonly sites: readonly SiteBalance[]
  readonly bins: readonly BinView[]
  readonly vehicles: readonly VehicleView[]
  readonly devices: readonly DeviceView[]
  readonly rejections: RejectionRate
  /** The district of a device (through its site, bin or vehicle), for grouping offline alerts;
   *  absent or undefined: the device is alerted alone. */
  readonly districtOf?: (deviceId: string) => string | undefined
  /** The site of a device (weighbridges), for grouping a site's offline devices (offline.ts). */
  readonly siteOf?: (deviceId: string) => string | undefined
  /** The node's own health: its spool (where every message is durable before its PUBACK). */
  readonly node?: NodeHealth
}

export interface NodeHealth {
  /** The spool holds its maximum of unforwarded bytes: PUBACKs wait until InfluxDB takes more. */
  readonly spoolFull: boolean
  readonly spoolUnforwardedBytes: number
  readonly spoolMaxBytes: number
  /** Age of the oldest message not yet in InfluxDB, ms. */
  readonly forwardLagMs: number
}

export interface AlertEngine {
  /** Load open alerts (and today's resolved ones) from InfluxDB. */
  start(): Promise<void>
  /** Open what the rules now say is wrong, resolve what no longer is; persist each
   *  transition to InfluxDB before it is visible. Returns the ids of alerts that changed. */
  evaluate(inputs: AlertInputs): Promise<string[]>
  list(filter?: AlertFilter): Alert[]
  /** Any local day's alerts from InfluxDB (the same day rule as list(); opened within the
   *  engine's look-back before the day). For days before today, which list() no longer holds. */
  history(filter: AlertFilter & { readonly day: string }): Promise<Alert[]>
  /** One alert in memory (open, or resolved/updated today), by id. */
  get(alertId: string): Alert | undefined
  acknowledge(alertId: string, by: string, now: number, note?: string): Promise<Alert | undefined>
  /** Acknowledges many at once (one write), with the operator's note. Alerts acknowledged
   *  before keep their first acknowledgement and are returned as they are. */
  acknowledgeMany(alertIds: readonly string[], by: string, now: number, note?: string): Promise<AckResult>
  close(): Promise<void>
}

export interface AckResult {
  /** The alerts now acknowledged (by this call or before), in the order asked. */
  readonly alerts: Alert[]
  /** Ids not in memory (unknown, or resolved before today). */
  readonly unknown: string[]
}
