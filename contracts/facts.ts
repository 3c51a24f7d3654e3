import { z } from 'zod'
import { Direction, Material, Stream } from './device/weighing.ts'
import { RejectionCode } from './rejection.ts'

// Committed facts: what ingest stored, normalised (ms timestamps) and enriched from the
// registry. Published on `$qingyun/v1/facts/{deviceId}` after the write is durable; only
// service accounts may subscribe. Consumers (dashboard-api) fold these.

const Base = {
  deviceId: z.string(),
  /** Event time, epoch ms. */
  ts: z.number(),
  seq: z.number().int().nonnegative().optional(),
  /** Arrival time at the broker, epoch ms. */
  recvMs: z.number()
}

export const WeighingFact = z.object({
  kind: z.literal('weighing'),
  ...Base,
  siteId: z.string(),
  siteType: z.enum(['transfer', 'sorting']),
  district: z.string(),
  ticketId: z.string(),
  direction: Direction,
  stream: Stream,
  material: Material.optional(),
  grossKg: z.number(),
  tareKg: z.number(),
  netKg: z.number(),
  plate: z.string()
})
export type WeighingFact = z.infer<typeof WeighingFact>

export const FillFact = z.object({
  kind: z.literal('fill'),
  ...Base,
  binId: z.string(),
  binStream: z.string(),
  district: z.string(),
  fillPct: z.number(),
  batteryPct: z.number().optional(),
  tempC: z.number().optional()
})
export type FillFact = z.infer<typeof FillFact>

export const PositionFact = z.object({
  kind: z.literal('position'),
  ...Base,
  vehicleId: z.string(),
  vehicleType: z.string(),
  lat: z.number(),
  lon: z.number(),
  speedKmh: z.number(),
  headingDeg: z.number().optional(),
  ignition: z.boolean().optional()
})
export type PositionFact = z.infer<typeof PositionFact>

export const StatusFact = z.object({
  kind: z.literal('status'),
  ...Base,
  deviceType: z.string(),
  batteryPct: z.number().optional(),
  rssiDbm: z.number().optional(),
  firmware: z.string().optional(),
  uptimeS: z.number().int().optional()
})
export type StatusFact = z.infer<typeof StatusFact>

export const RejectionFact = z.object({
  kind: z.literal('rejection'),
  deviceId: z.string(),
  recvMs: z.number(),
  code: RejectionCode,
  /** The kind the topic named. */
  msgKind: z.string(),
  topic: z.string(),
  index: z.number().int().nonnegative().optional(),
  /** Event time when the object had a readable one; the completeness report counts it on that day. */
  ts: z.number().optional(),
  seq: z.number().int().nonnegative().optional(),
  error: z.string(),
  excerpt: z.string()
})
export type RejectionFact = z.infer<typeof RejectionFact>

/**
 * A data point whose identity (measurement + tags + time) ingest had already committed
 * recently: InfluxDB overwrote the point, so this record is what keeps the retransmission
 * countable after a restart (the completeness report). The data fact itself is committed too.
 */
export const DuplicateFact = z.object({
  kind: z.literal('duplicate'),
  deviceId: z.string(),
  /** Event time of the duplicated data point, epoch ms: the day it is counted on. */
  ts: z.number(),
  /** Arrival time of the retransmission, epoch ms. */
  recvMs: z.number(),
  seq: z.number().int().nonnegative().optional(),
  /** Kind of the duplicated data point. */
  dataKind: z.enum(['weighing', 'fill', 'position', 'status']),
  /** The data point's InfluxDB identity: series key and timestamp (ns). */
  identity: z.string(),
  ticketId: z.string().optional()
})
export type DuplicateFact = z.infer<typeof DuplicateFact>

/**
 * A data point committed again with the same identity but other content (e.g. the same ticket
 * and time with another weight). InfluxDB keeps the last write, and so does the live fold (last
 * write wins by point identity, influx/schema/README.md); this record keeps the change visible and
 * countable per device and day.
 */
export const ConflictFact = z.object({
  kind: z.literal('conflict'),
  deviceId: z.string(),
  /** Event time of the data point, epoch ms: the day it is counted on. */
  ts: z.number(),
  /** Arrival time of the write that replaced the earlier content, epoch ms. */
  recvMs: z.number(),
  seq: z.number().int().nonnegative().optional(),
  dataKind: z.enum(['weighing', 'fill', 'position', 'status']),
  /** The data point's InfluxDB identity: series key and timestamp (ns). */
  identity: z.string(),
  ticketId: z.string().optional(),
  /** The fields as they were, in line protocol (`net_kg=8000,…`, without `recv_ms`), ≤ 512 chars. */
  previous: z.string(),
  /** The fields as they are now, same form. */
  current: z.string()
})
export type ConflictFact = z.infer<typeof ConflictFact>

export const Fact = z.discriminatedUnion('kind', [
  WeighingFact,
  FillFact,
  PositionFact,
  StatusFact,
  RejectionFact,
  DuplicateFact,
  ConflictFact
])
export type Fact = z.infer<typeof Fact>

export const FactsMessage = z.object({ v: z.literal(1), facts: z.array(Fact) })
export type FactsMessage = z.infer<typeof FactsMessage>
