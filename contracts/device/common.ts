import { z } from 'zod'

/** Events older than 2001-09-09 in epoch ms are almost surely epoch *seconds* sent by mistake. */
const EPOCH_MS_FLOOR = 1_000_000_000_000

/**
 * The event time: ISO-8601 with an explicit offset (`Z` or `+08:00`), or epoch milliseconds.
 * A local time without offset is refused: a device clock's zone cannot be guessed.
 */
export const Timestamp = z.union([
  z.iso.datetime({
    offset: true,
    local: false,
    error: 'ts must be ISO-8601 with an offset (e.g. 2026-11-28T08:15:30+08:00 or …Z), or epoch milliseconds'
  }),
  z
    .number()
    .int('ts in epoch milliseconds must be an integer')
    .min(EPOCH_MS_FLOOR, 'ts looks like epoch seconds; send epoch milliseconds or ISO-8601 with an offset')
    .max(Number.MAX_SAFE_INTEGER)
])
export type Timestamp = z.infer<typeof Timestamp>

/** Per-device increasing message counter; gaps count as missing data. */
export const Seq = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)
export type Seq = z.infer<typeof Seq>

/** Fields every device object carries. */
export const Envelope = { ts: Timestamp, seq: Seq.optional() }

export const Percent = z.number().min(0).max(100)

/** Epoch ms of a validated Timestamp. */
export function timestampMs(ts: Timestamp): number {
  return typeof ts === 'number' ? ts : Date.parse(ts)
}
