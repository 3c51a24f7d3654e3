import { fnv1a32 } from '../../lib/hash.ts'

const NS_PER_MS = 1_000_000n

/**
 * A point's time: event ms × 1e6 plus a deterministic sub-millisecond offset derived from the
 * message's own identity (ticket id, or seq). InfluxDB identifies a point by measurement +
 * tags + time, so a retransmitted message lands on itself (docs/architecture.md, decision 4) while two
 * different tickets stamped in the same millisecond by one device stay two points.
 */
export function pointTime(tsMs: number, identity: string | number | undefined): bigint {
  const offset =
    identity === undefined ? 0 : typeof identity === 'number' ? identity % 1_000_000 : fnv1a32(identity) % 1_000_000
  return BigInt(tsMs) * NS_PER_MS + BigInt(offset)
}
