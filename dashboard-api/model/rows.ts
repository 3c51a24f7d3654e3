// InfluxDB rows (ingest/SCHEMA.md) back into the facts ingest committed, so a rebuild folds
// exactly what live folding saw, through the same fold (design decision 3).
import type { Direction, Material, Stream } from '../../contracts/device/weighing.ts'
import type { ConflictFact, DuplicateFact, Fact, FillFact, PositionFact, RejectionFact, StatusFact, WeighingFact } from '../../contracts/facts.ts'
import type { RejectionCode } from '../../contracts/rejection.ts'

type Row = Record<string, unknown>

const num = (v: unknown): number | undefined => (v === null || v === undefined || v === '' ? undefined : Number(v))
const str = (v: unknown): string | undefined => (v === null || v === undefined || v === '' ? undefined : String(v))
/** Only the keys whose value is defined (exactOptionalPropertyTypes). */
function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never
}

const base = (r: Row) => defined({ deviceId: String(r.device), ts: Number(r.time), recvMs: Number(r.recv_ms), seq: num(r.seq) })

export const rowToFact: { readonly [M in Measurement]: (r: Row) => Fact } = {
  weighing: (r): WeighingFact => ({
    kind: 'weighing',
    ...base(r),
    siteId: String(r.site),
    siteType: r.site_type === 'sorting' ? 'sorting' : 'transfer',
    district: String(r.district),
    ticketId: String(r.ticket_id),
    direction: String(r.direction) as Direction,
    stream: String(r.stream) as Stream,
    ...defined({ material: str(r.material) as Material | undefined }),
    grossKg: Number(r.gross_kg),
    tareKg: Number(r.tare_kg),
    netKg: Number(r.net_kg),
    plate: String(r.plate)
  }),
  fill: (r): FillFact => ({
    kind: 'fill',
    ...base(r),
    binId: String(r.bin),
    binStream: String(r.stream),
    district: String(r.district),
    fillPct: Number(r.fill_pct),
    ...defined({ batteryPct: num(r.battery_pct), tempC: num(r.temp_c) })
  }),
  position: (r): PositionFact => ({
    kind: 'position',
    ...base(r),
    vehicleId: String(r.vehicle),
    vehicleType: String(r.vehicle_type),
    lat: Number(r.lat),
    lon: Number(r.lon),
    speedKmh: Number(r.speed_kmh),
    ...defined({ headingDeg: num(r.heading_deg), ignition: r.ignition === null || r.ignition === undefined ? undefined : Boolean(r.ignition) })
  }),
  device_status: (r): StatusFact => ({
    kind: 'status',
    ...base(r),
    deviceType: String(r.device_type),
    ...defined({ batteryPct: num(r.battery_pct), rssiDbm: num(r.rssi_dbm), firmware: str(r.firmware), uptimeS: num(r.uptime_s) })
  }),
  rejection: (r): RejectionFact => ({
    kind: 'rejection',
    deviceId: String(r.device),
    recvMs: Number(r.recv_ms),
    code: String(r.code) as RejectionCode,
    msgKind: String(r.kind),
    topic: String(r.topic ?? ''),
    error: String(r.error ?? ''),
    excerpt: String(r.excerpt ?? ''),
    ...defined({ index: num(r.index), ts: num(r.event_ms), seq: num(r.seq) })
  }),
  duplicate: (r): DuplicateFact => ({
    kind: 'duplicate',
    deviceId: String(r.device),
    ts: Number(r.event_ms),
    recvMs: Number(r.recv_ms),
    dataKind: String(r.kind) as DuplicateFact['dataKind'],
    identity: String(r.identity),
    ...defined({ seq: num(r.seq), ticketId: str(r.ticket_id) })
  }),
  conflict: (r): ConflictFact => ({
    kind: 'conflict',
    deviceId: String(r.device),
    ts: Number(r.event_ms),
    recvMs: Number(r.recv_ms),
    dataKind: String(r.kind) as ConflictFact['dataKind'],
    identity: String(r.identity),
    previous: String(r.previous ?? ''),
    current: String(r.current ?? ''),
    ...defined({ seq: num(r.seq), ticketId: str(r.ticket_id) })
  })
}

export type Measurement = 'weighing' | 'fill' | 'position' | 'device_status' | 'rejection' | 'duplicate' | 'conflict'
/** Records stamped with their arrival time and counted on the event day of the data (`event_ms`). */
export const REPEAT_MEASUREMENTS = ['duplicate', 'conflict'] as const satisfies readonly Measurement[]
export const DATA_MEASUREMENTS = ['weighing', 'fill', 'position', 'device_status', 'rejection'] as const satisfies readonly Measurement[]
