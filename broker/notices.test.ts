import { describe, expect, it } from 'vitest'
import type { RejectionNotice } from '../contracts/rejection.ts'
import { createNoticeLimiter } from './notices.ts'

const notice: RejectionNotice = {
  v: 1,
  code: 'INGEST_E_SCHEMA',
  message: 'batteryPct: expected number',
  topic: 'v1/devices/d/status',
  issues: [],
  receivedAt: '2026-12-02T00:00:00.000Z',
  rejected: 1,
  objects: 1,
  rejections: [],
  more: 0
}

describe('rejection notice limiter', () => {
  it('lets a burst through, suppresses the rest, and says so in the next notice that goes out', () => {
    const l = createNoticeLimiter({ burst: 2, perSecond: 1, maxDevices: 10 })
    expect(l.admit('d', notice, 0)).toBe(notice)
    expect(l.admit('d', notice, 0)).toBe(notice)
    expect(l.admit('d', notice, 0)).toBeUndefined()
    expect(l.admit('d', notice, 500)).toBeUndefined()
    // Another device has its own bucket.
    expect(l.admit('e', notice, 500)).toBe(notice)
    const next = l.admit('d', notice, 1000)
    expect(next?.message).toContain('2 earlier rejection notice(s) not sent')
    expect(next?.code).toBe('INGEST_E_SCHEMA')
    expect(l.stats().suppressed).toBe(2)
  })

  it('keeps at most maxDevices buckets', () => {
    const l = createNoticeLimiter({ burst: 1, perSecond: 1, maxDevices: 100 })
    for (let i = 0; i < 10_000; i++) l.admit(`d-${i}`, notice, i)
    expect(l.stats().trackedDevices).toBeLessThanOrEqual(100)
  })
})
