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
  'INGEST_E_STORE'
])
export type RejectionCode = z.infer<typeof RejectionCode>

export const Issue = z.object({
  /** Dotted path inside the object, e.g. `netKg`; empty for the whole object. */
  path: z.string(),
  message: z.string()
})
export type Issue = z.infer<typeof Issue>

/** Sent to the device on `v1/devices/{deviceId}/errors` (QoS 1, not retained). */
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
  receivedAt: z.iso.datetime()
})
export type RejectionNotice = z.infer<typeof RejectionNotice>
