import type { RejectionNotice } from '../contracts/rejection.ts'

// Rejection notices are advisory (the rejection records in InfluxDB are the truth), so a
// device that sends a flood of bad data gets a bounded number of them: a token bucket per
// device. Notices over the rate are counted, and the next notice that goes out says how many
// were suppressed, so the device learns that it missed some.

export interface NoticeLimiter {
  /** The notice to send now (possibly annotated), or undefined when it is suppressed. */
  admit(deviceId: string, notice: RejectionNotice, nowMs: number): RejectionNotice | undefined
  stats(): { suppressed: number; trackedDevices: number }
}

interface Bucket {
  tokens: number
  lastMs: number
  suppressed: number
}

export function createNoticeLimiter(opts: { burst: number; perSecond: number; maxDevices: number }): NoticeLimiter {
  const buckets = new Map<string, Bucket>()
  let suppressed = 0
  const refill = (b: Bucket, nowMs: number): void => {
    b.tokens = Math.min(opts.burst, b.tokens + (Math.max(0, nowMs - b.lastMs) / 1000) * opts.perSecond)
    b.lastMs = nowMs
  }
  // Buckets that are full again and owe no summary carry no state worth keeping.
  const prune = (nowMs: number): void => {
    for (const [id, b] of buckets) {
      refill(b, nowMs)
      if (b.tokens >= opts.burst && b.suppressed === 0) buckets.delete(id)
    }
    // Still near the bound (a flood from more devices than the bound): forget the oldest,
    // which at worst lets one more burst of notices through for them. Down to 90 % so the
    // sweep runs once per tenth of the bound, not once per new device.
    for (const id of buckets.keys()) {
      if (buckets.size < opts.maxDevices * 0.9) break
      buckets.delete(id)
    }
  }
  return {
    admit(deviceId, notice, nowMs) {
      let b = buckets.get(deviceId)
      if (!b) {
        if (buckets.size >= opts.maxDevices) prune(nowMs)
        b = { tokens: opts.burst, lastMs: nowMs, suppressed: 0 }
        buckets.set(deviceId, b)
      }
      refill(b, nowMs)
      if (b.tokens < 1) {
        b.suppressed++
        suppressed++
        return undefined
      }
      b.tokens -= 1
      if (b.suppressed === 0) return notice
      const n = b.suppressed
      b.suppressed = 0
      return {
        ...notice,
        message: `${notice.message} (${n} earlier rejection notice(s) not sent: rate limit; every rejection is stored)`
      }
    },
    stats: () => ({ suppressed, trackedDevices: buckets.size })
  }
}
