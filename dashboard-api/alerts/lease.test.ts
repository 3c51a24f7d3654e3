import { Redis } from 'ioredis'
import { pino } from 'pino'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { Sink } from '../../store/sink.ts'
import { until } from '../../test/harness/node.ts'
import { startTestRedis } from '../../test/harness/redis.ts'
import { createLease, fencedSink, LeaseLostError, type Lease } from './lease.ts'

// The alert lease on a real redis-server (test/harness/redis.ts): one holder at a time, taken
// over when the holder stops renewing, fenced writes, tokens that only grow — also across a
// Redis restarted without its data.

const log = pino({ level: 'silent' })
const TTL = 1500

function connect(url: string): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => 200 })
  r.on('error', () => undefined)
  onTestFinished(() => {
    r.disconnect()
  })
  return r
}

function lease(redis: Redis, owner: string): Lease {
  const l = createLease({ redis, key: 'qingyun:test:alerts:lease', owner, ttlMs: TTL, log, now: Date.now })
  onTestFinished(() => l.close())
  return l
}

const recording = (): Sink & { lines: string[] } => {
  const lines: string[] = []
  return { lines, write: async (l) => (lines.push(...l), { rejected: [] }), close: async () => undefined }
}

describe('alert lease on Redis', () => {
  it('one holder; a holder that stops renewing is taken over with a larger token and fenced off', async () => {
    const redis = await startTestRedis()
    onTestFinished(() => redis.stop())
    const connA = connect(redis.url)
    const a = lease(connA, 'node-a')
    await a.ready
    const b = lease(connect(redis.url), 'node-b')
    await b.ready
    expect(a.holding()).toBe(true)
    expect(b.holding()).toBe(false)
    const tokenA = a.token()!
    const sinkA = recording()
    await fencedSink(sinkA, a).write(['a 1'])
    expect(sinkA.lines).toEqual(['a 1'])
    await expect(fencedSink(recording(), b).write(['b 1'])).rejects.toBeInstanceOf(LeaseLostError)

    // Node A's link to Redis is cut: it cannot renew, stops holding on its own, and B takes over.
    connA.disconnect()
    await until('A stops holding', () => !a.holding(), 10_000)
    await until('B holds', () => b.holding(), 10_000)
    expect(b.token()).toBeGreaterThan(tokenA)
    await expect(fencedSink(recording(), a).write(['a 2'])).rejects.toBeInstanceOf(LeaseLostError)
    const sinkB = recording()
    await fencedSink(sinkB, b).write(['b 2'])
    expect(sinkB.lines).toEqual(['b 2'])
  })

  it('a holder that closes releases at once; tokens still grow after Redis restarts empty', async () => {
    const redis = await startTestRedis()
    onTestFinished(() => redis.stop())
    const a = lease(connect(redis.url), 'node-a')
    await a.ready
    const before = a.token()!
    await a.close()
    expect(redis.cli('GET', 'qingyun:test:alerts:lease')).toBe('')

    await redis.kill()
    await redis.start()
    const b = lease(connect(redis.url), 'node-b')
    await until('B holds after the restart', () => b.holding(), 10_000)
    expect(b.token()).toBeGreaterThan(before)
  })
})
