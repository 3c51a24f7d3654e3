import { describe, expect, it } from 'vitest'
import { createOutbox, type SocketLike } from './outbox.ts'

// A socket whose kernel never drains unless the test says so: the boundary where a slow
// client is simulated in unit tests (the e2e test uses a real client that stops reading).
function slowSocket() {
  const written: string[] = []
  const callbacks: Array<() => void> = []
  let buffered = 0
  const socket: SocketLike & { drain(): void; written: string[] } = {
    get bufferedAmount() {
      return buffered
    },
    send(data, cb) {
      written.push(data)
      buffered += data.length
      callbacks.push(() => {
        buffered -= data.length
        cb()
      })
    },
    drain() {
      for (const cb of callbacks.splice(0)) cb()
    },
    written
  }
  return socket
}

describe('outbox', () => {
  const limits = { highWaterBytes: 10, maxQueuedMessages: 3, maxBufferedBytes: 1_000 }

  it('writes while under the high-water mark, queues above it, drains in order', () => {
    const s = slowSocket()
    const o = createOutbox(s, limits, () => expect.unreachable())
    for (const m of ['aaaaaa', 'bbbbbb', 'cc', 'dd']) expect(o.push(m)).toBe(true)
    expect(s.written).toEqual(['aaaaaa', 'bbbbbb'])
    expect(o.queued()).toEqual({ messages: 2, bytes: 4 })
    s.drain()
    expect(s.written).toEqual(['aaaaaa', 'bbbbbb', 'cc', 'dd'])
    expect(o.queued()).toEqual({ messages: 0, bytes: 0 })
  })

  it('overflows once when the queue passes its limit, drops what was queued, and refuses more', () => {
    const s = slowSocket()
    let overflows = 0
    const o = createOutbox(s, limits, () => overflows++)
    o.push('x'.repeat(20))
    for (let i = 0; i < 3; i++) expect(o.push(`m${i}`)).toBe(true)
    expect(o.push('m3')).toBe(false)
    expect(o.push('m4')).toBe(false)
    expect(overflows).toBe(1)
    expect(o.queued()).toEqual({ messages: 0, bytes: 0 })
    s.drain()
    expect(s.written).toHaveLength(1)
  })

  it('also overflows on bytes waiting (socket + queue)', () => {
    const s = slowSocket()
    let overflows = 0
    const o = createOutbox(s, { highWaterBytes: 1, maxQueuedMessages: 100, maxBufferedBytes: 50 }, () => overflows++)
    o.push('first')
    o.push('y'.repeat(40))
    expect(overflows).toBe(0)
    o.push('z'.repeat(20))
    expect(overflows).toBe(1)
  })

  it('counts what the socket holds, so a message written straight to a stalled socket counts too', () => {
    const s = slowSocket()
    let overflows = 0
    const o = createOutbox(
      s,
      { highWaterBytes: 1_000, maxQueuedMessages: 100, maxBufferedBytes: 100 },
      () => overflows++
    )
    expect(o.push('a'.repeat(60))).toBe(true)
    expect(o.push('b'.repeat(60))).toBe(false)
    expect(overflows).toBe(1)
  })

  it('always takes one message on an idle connection (a snapshot larger than the bound), then bounds', () => {
    const s = slowSocket()
    let overflows = 0
    const o = createOutbox(s, { highWaterBytes: 10, maxQueuedMessages: 100, maxBufferedBytes: 100 }, () => overflows++)
    expect(o.push('s'.repeat(500))).toBe(true)
    expect(o.push('d')).toBe(false)
    expect(overflows).toBe(1)
  })

  it('counts UTF-8 bytes, not UTF-16 code units', () => {
    const s = slowSocket()
    let overflows = 0
    const o = createOutbox(s, { highWaterBytes: 1, maxQueuedMessages: 100, maxBufferedBytes: 40 }, () => overflows++)
    o.push('x')
    o.push('梁溪'.repeat(5)) // 10 code units, 30 bytes
    expect(overflows).toBe(0)
    o.push('梁溪'.repeat(2)) // 12 bytes more: 1 + 30 + 12 > 40
    expect(overflows).toBe(1)
  })
})
