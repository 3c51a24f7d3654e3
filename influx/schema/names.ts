// Every storage name — measurement, tag and field — spelled once (docs/conventions.md, InfluxDB:
// "no other module spells a storage name"). The mappings in this folder and every query build
// on these; influx/schema/README.md documents what each one holds.
import type { Fact } from '../../contracts/facts.ts'

/** Measurement of each fact kind, and of the alerts. */
export const MEASUREMENT = {
  weighing: 'weighing',
  fill: 'fill',
  position: 'position',
  // "status" alone would be ambiguous next to alerts and sites.
  status: 'device_status',
  rejection: 'rejection',
  duplicate: 'duplicate',
  conflict: 'conflict',
  alert: 'alert'
} as const satisfies Record<Fact['kind'] | 'alert', string>

export type Measurement = (typeof MEASUREMENT)[keyof typeof MEASUREMENT]

export const TAG = {
  device: 'device',
  site: 'site',
  siteType: 'site_type',
  district: 'district',
  direction: 'direction',
  stream: 'stream',
  material: 'material',
  bin: 'bin',
  vehicle: 'vehicle',
  vehicleType: 'vehicle_type',
  deviceType: 'device_type',
  /** Rejection code. */
  code: 'code',
  /** The message kind of a rejection, the data kind of a duplicate or conflict. */
  kind: 'kind',
  alertType: 'type',
  severity: 'severity',
  subjectKind: 'subject_kind',
  subjectId: 'subject_id'
} as const

export const FIELD = {
  seq: 'seq',
  /** Broker arrival time (epoch ms); the last field of a data point (ingest/duplicates.ts). */
  recvMs: 'recv_ms',
  /** The event time of a record stamped otherwise (rejection, duplicate, conflict). */
  eventMs: 'event_ms',
  ticketId: 'ticket_id',
  grossKg: 'gross_kg',
  tareKg: 'tare_kg',
  netKg: 'net_kg',
  plate: 'plate',
  fillPct: 'fill_pct',
  batteryPct: 'battery_pct',
  tempC: 'temp_c',
  lat: 'lat',
  lon: 'lon',
  speedKmh: 'speed_kmh',
  headingDeg: 'heading_deg',
  ignition: 'ignition',
  rssiDbm: 'rssi_dbm',
  firmware: 'firmware',
  uptimeS: 'uptime_s',
  topic: 'topic',
  error: 'error',
  excerpt: 'excerpt',
  index: 'index',
  identity: 'identity',
  previous: 'previous',
  current: 'current',
  id: 'id',
  state: 'state',
  openedAt: 'opened_at',
  updatedAt: 'updated_at',
  resolvedAt: 'resolved_at',
  ackAt: 'ack_at',
  ackBy: 'ack_by',
  message: 'message',
  details: 'details',
  ackNote: 'ack_note',
  history: 'history',
  members: 'members'
} as const

/**
 * Day summaries (dashboard-api/model/summary.ts, docs/history.md): one point per device, bin and
 * vehicle with data on a closed local day, stamped with the day's local midnight, its numbers as
 * a JSON string field; a `meta` point says when it was computed and when late data made it stale.
 */
export const DAY_SUMMARY = {
  measurement: 'day_summary',
  /** device | bin | vehicle | meta */
  part: 'part',
  /** The device, bin or vehicle id (`-` for meta). */
  key: 'key',
  json: 'json',
  computedMs: 'computed_ms',
  dirtyMs: 'dirty_ms',
  version: 'version'
} as const

export type StorageName =
  | Measurement
  | (typeof TAG)[keyof typeof TAG]
  | (typeof FIELD)[keyof typeof FIELD]
  | (typeof DAY_SUMMARY)[keyof typeof DAY_SUMMARY]

/** A storage name as an InfluxQL identifier (the names are plain snake_case; quoted anyway). */
export const q = (name: StorageName): string => `"${name}"`
