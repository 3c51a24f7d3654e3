// What the writer counts for /metrics (node/metrics.ts): failed writes by reason and the
// latency of every HTTP write, answered or not. The scripted client is the boundary: it gives
// a 503, a dropped connection and a 429 on cue, which a real InfluxDB cannot be made to.
import { describe, expect, it } from 'vitest'
import { createWriter } from './influxWriter.ts'
import { captureLog, instantSleep, ok, scriptedClient } from './influxWriterTestKit.ts'

describe('writer figures for metrics', () => {
  it('counts each failed write by reason and times every write', async () => {
    const client = scriptedClient((_lines, call) => {
      if (call === 0) return { status: 503, body: 'busy' }
      if (call === 1) return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
      if (call === 2) return { status: 429, body: 'slow down', retryAfterMs: 1 }
      return ok
    })
    // Each write takes 5 ms on this clock: every reading is 5 ms after the one before.
    let t = 0
    const clock = (): number => (t += 5)
    const w = createWriter({ client, log: captureLog().log, sleep: instantSleep().sleep, random: () => 0, clock })
    await expect(w.write(['m v=1i 1'])).resolves.toEqual({ rejected: [] })

    expect(client.calls).toHaveLength(4)
    expect(w.stats().failures).toEqual({ network: 1, server: 1, throttled: 1, config: 0, unexpected: 0 })
    const h = w.writeLatency()
    expect(h.count).toBe(4)
    expect(h.sumMs).toBe(20)
    // 5 ms = 5000 µs falls in the log2 bucket (4096, 8192] µs, index 13.
    expect(h.counts[13]).toBe(4)
  })
})
