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
