/**
 * Fsync latency: the last value and a log2 histogram in microseconds (bucket i holds
 * [2^(i-1), 2^i) µs), so p50/p99 come out as bucket upper bounds with bounded memory.
 */
const BUCKETS = 32

export interface LatencyStats {
  readonly count: number
  readonly lastMs: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
}

/** The whole histogram, for Prometheus (node/metrics.ts): `counts[i]` observations in bucket i. */
export interface LatencyHistogram {
  readonly counts: readonly number[]
  readonly count: number
  readonly sumMs: number
}

export interface Latency {
  add(ms: number): void
  snapshot(): LatencyStats
  histogram(): LatencyHistogram
}

/** Upper bound of bucket i in milliseconds (bucket i holds (2^(i-1), 2^i] µs). */
export const bucketUpperMs = (i: number): number => 2 ** i / 1000

export const LATENCY_BUCKETS = BUCKETS

export function createLatency(): Latency {
  const counts = new Array<number>(BUCKETS).fill(0)
  let count = 0
  let sumMs = 0
  let lastMs = 0
  let maxMs = 0
  const quantile = (q: number): number => {
    if (count === 0) return 0
    const rank = Math.ceil(q * count)
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += counts[i]!
      if (seen >= rank) return Math.min(2 ** i / 1000, maxMs)
    }
    return maxMs
  }
  return {
    add(ms) {
      const us = Math.max(1, Math.round(ms * 1000))
      const i = Math.min(BUCKETS - 1, Math.ceil(Math.log2(us)))
      counts[i]!++
      count++
      sumMs += ms
      lastMs = ms
      maxMs = Math.max(maxMs, ms)
    },
    snapshot: () => ({ count, lastMs, p50Ms: quantile(0.5), p99Ms: quantile(0.99), maxMs }),
    histogram: () => ({ counts: [...counts], count, sumMs })
  }
}
