import { z } from 'zod'

/**
 * Why a message (or one object of a batch) was not stored as data. Stable codes: vendors and
 * auditors key on them. The message is still acknowledged and kept as a rejection record.
 */
export const RejectionCode = z.enum([
  /** Payload is not UTF-8 JSON. */
  'INGEST_E_JSON',
  /** JSON is not an object or a non-empty array of at most 500 objects. */
  'INGEST_E_SHAPE',
  /** An object fails the kind's schema (wrong type, missing field, out of bounds...). */
  'INGEST_E_SCHEMA',
  /** `ts` too far in the future or too old (QINGYUN_TS_MAX_FUTURE_MS / QINGYUN_TS_MAX_AGE_MS). */
  'INGEST_E_TS_RANGE',
  /** Payload larger than QINGYUN_MAX_PAYLOAD_BYTES. */
  'INGEST_E_TOO_LARGE',
  /** The device is not (or no longer) registered and enabled. */
  'INGEST_E_DEVICE',
  /** InfluxDB refused the point itself (e.g. a field type conflict). */
  'INGEST_E_STORE',
  /**
   * Ingest failed on this object for a reason of its own (a bug, not the device's fault). The
   * object is kept as a rejection record, the rest of its message is stored, and it is acked.
   */
  'INGEST_E_INTERNAL'
])
export type RejectionCode = z.infer<typeof RejectionCode>

export const Issue = z.object({
  /** Dotted path inside the object, e.g. `netKg`; empty for the whole object. */
  path: z.string(),
  message: z.string()
})
export type Issue = z.infer<typeof Issue>

/** One rejected object of a message, in a notice's summary. */
export const RejectedObject = z.object({
  /** Position in a batch payload; absent for a single object or the whole payload. */
  index: z.number().int().nonnegative().optional(),
  seq: z.number().optional(),
  ticketId: z.string().optional(),
  code: RejectionCode,
  message: z.string()
})
export type RejectedObject = z.infer<typeof RejectedObject>

/** How many rejected objects a notice lists; the rest are counted in `more`. */
export const NOTICE_MAX_LISTED = 10

/**
 * Sent to the device on `v1/devices/{deviceId}/errors` (QoS 1, not retained): at most one per
 * PUBLISH, summarising every object of it that was rejected. The top-level `code`, `message`,
 * `index`, `seq`, `ticketId` and `issues` describe the first rejected object (as they did when
 * there was one notice per object); `rejected`, `rejections` and `more` cover them all.
 */
export const RejectionNotice = z.object({
  v: z.literal(1),
  code: RejectionCode,
  message: z.string(),
  topic: z.string(),
  /** Position in a batch payload; absent when the whole payload was refused. */
  index: z.number().int().nonnegative().optional(),
  /** Echoed from the object when it could be read, so the device can match its buffer. */
  seq: z.number().optional(),
  ticketId: z.string().optional(),
  issues: z.array(Issue),
  receivedAt: z.iso.datetime(),
  /** Rejected objects of this PUBLISH (1 when the whole payload was refused). */
  rejected: z.number().int().positive(),
  /** Objects the PUBLISH carried (1 for a single object or an unreadable payload). */
  objects: z.number().int().positive(),
  /** The first rejected objects (at most NOTICE_MAX_LISTED), in payload order. */
  rejections: z.array(RejectedObject).max(NOTICE_MAX_LISTED),
  /** Rejected objects not listed in `rejections`. */
  more: z.number().int().nonnegative()
})
export type RejectionNotice = z.infer<typeof RejectionNotice>

/**
 * The field paths named in a stored rejection's `error`. Ingest writes a schema rejection's
 * issues as `path: message; path: message (+N more)` (ingest/process.ts, summarise) and a
 * `ts` out of range as `ts: …`; a whole-payload rejection (JSON, shape, size, device) names
 * no field. A segment without a dotted-path prefix (an issue about the whole object) adds
 * nothing. At most the first five issues are in the text, so at most five paths come back.
 */
export function issuePaths(code: RejectionCode, error: string): string[] {
  if (code === 'INGEST_E_TS_RANGE') return ['ts']
  if (code !== 'INGEST_E_SCHEMA') return []
  const paths: string[] = []
  for (const segment of error.replace(/ \(\+\d+ more\)$/, '').split('; ')) {
    const m = /^([\w$-]+(?:\.[\w$-]+)*): /.exec(segment)
    if (m && !paths.includes(m[1]!)) paths.push(m[1]!)
  }
  return paths
}

/** One rejected object of a device, as GET /api/v1/devices/:id/rejections lists it. */
export const DeviceRejection = z.object({
  /** The day's time of the record: the object's event time when it had a readable one, else the arrival. */
  at: z.number(),
  /** When the broker received the message, epoch ms. */
  recvMs: z.number(),
  /** The event time the object carried, when it could be read. */
  eventMs: z.number().nullable(),
  code: RejectionCode,
  /** The message kind its topic named. */
  kind: z.string(),
  topic: z.string(),
  /** Position in a batch payload; null for a single object or the whole payload. */
  index: z.number().int().nullable(),
  seq: z.number().nullable(),
  /** Why, as the device was told (`path: message; …` for schema issues). */
  message: z.string(),
  /** The fields the reason names (`netKg`, `items.0.lat`); empty when it is about the whole payload. */
  paths: z.array(z.string()),
  /** The start of what was sent (at most 1 KiB). */
  excerpt: z.string()
})
export type DeviceRejection = z.infer<typeof DeviceRejection>

export const DeviceRejections = z.object({
  deviceId: z.string(),
  day: z.string(),
  /** Newest first. */
  items: z.array(DeviceRejection),
  /** Pass as `cursor` for the next (older) page; null when this page is the last. */
  nextCursor: z.string().nullable()
})
export type DeviceRejections = z.infer<typeof DeviceRejections>
