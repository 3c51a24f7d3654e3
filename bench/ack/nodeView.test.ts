import { describe, expect, it } from 'vitest'
import { parsePrometheus } from '../../test/harness/prometheus.ts'
import { histogramDelta, nodeRoundView } from './nodeView.ts'

const scrape = (counts: Record<string, number>, lag?: { p50: number; p99: number; max: number }): string =>
  [
    '# TYPE qingyun_puback_latency_seconds histogram',
    ...Object.entries(counts).map(([le, n]) => `qingyun_puback_latency_seconds_bucket{le="${le}"} ${n}`),
    ...(lag
      ? [
          `nodejs_eventloop_lag_p50_seconds ${lag.p50}`,
          `nodejs_eventloop_lag_p99_seconds ${lag.p99}`,
          `nodejs_eventloop_lag_max_seconds ${lag.max}`
        ]
      : [])
  ].join('\n')

describe("the node's view of one round", () => {
  it('counts only what the cumulative histogram gained between the two scrapes', () => {
    // Before: 100 fast publishes from an earlier round. During: 98 at ≤ 4 ms, 2 at ≤ 64 ms.
    const before = parsePrometheus(scrape({ '0.004': 100, '0.016': 100, '0.064': 100, '+Inf': 100 }))
    const after = parsePrometheus(scrape({ '0.004': 198, '0.016': 198, '0.064': 200, '+Inf': 200 }))
    expect(histogramDelta(before, after, 'qingyun_puback_latency_seconds')).toEqual({
      count: 100,
      p50Ms: 4,
      p99Ms: 64,
      maxBucketMs: 64
    })
  })

  it('takes the event-loop lag from the second scrape and reports an empty histogram as such', () => {
    const before = parsePrometheus(scrape({ '0.004': 5, '+Inf': 5 }))
    const after = parsePrometheus(scrape({ '0.004': 5, '+Inf': 5 }, { p50: 0.011, p99: 0.04, max: 0.09 }))
    const v = nodeRoundView(before, after)
    expect(v.pubackToDurable).toEqual({ count: 0, p50Ms: null, p99Ms: null, maxBucketMs: null })
    expect(v.spoolFsync.count).toBe(0)
    expect(v.eventLoopLagMs).toEqual({ p50: 11, p99: 40, max: 90 })
  })
})
