import { describe, expect, it } from 'vitest'
import { createCoalescer, type Dirty } from './coalescer.ts'
import { fakeTimers } from '../../test/harness/clock.ts'

const flushed = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

function setup(flushImpl?: (d: Dirty) => Promise<void> | void) {
  const timers = fakeTimers()
  const batches: Array<{ all: boolean; keys: string[]; at: number }> = []
  const errors: unknown[] = []
  const c = createCoalescer({
    intervalMs: 250,
    timers,
    flush: (d) => {
      batches.push({ all: d.all, keys: [...d.keys].sort(), at: timers.now() })
      return flushImpl?.(d)
    },
    onError: (e) => errors.push(e)
  })
  return { timers, batches, errors, c }
}

describe('coalescer', () => {
  it('flushes the first change at once, then at most once per interval however many arrive', async () => {
    const { timers, batches, c } = setup()
    const t0 = timers.now()
    c.mark('a')
    timers.advance(0)
    await flushed()
    expect(batches).toEqual([{ all: false, keys: ['a'], at: t0 }])
    // 1000 changes over 1 s, one every ms.
    for (let i = 0; i < 1000; i++) {
      c.mark(`k${i % 7}`)
      timers.advance(1)
      await flushed()
    }
    timers.advance(1000)
    await flushed()
    expect(batches.length).toBeLessThanOrEqual(6)
    for (let i = 1; i < batches.length; i++) expect(batches[i]!.at - batches[i - 1]!.at).toBeGreaterThanOrEqual(250)
    const keys = new Set(batches.slice(1).flatMap((b) => b.keys))
    expect([...keys].sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6'])
  })

  it('merges keys into "all" and does nothing when nothing changed', async () => {
    const { timers, batches, c } = setup()
    c.mark('x')
    c.mark()
    c.mark('y')
    timers.advance(0)
    await flushed()
    expect(batches).toEqual([{ all: true, keys: ['x'], at: timers.now() }])
    timers.advance(10_000)
    await flushed()
    expect(batches).toHaveLength(1)
  })

  it('never overlaps flushes; changes during a flush go to the next one', async () => {
    let release: () => void = () => undefined
    const { timers, batches, c } = setup(() => new Promise<void>((r) => (release = r)))
    c.mark('a')
    timers.advance(0)
    c.mark('b')
    timers.advance(1000)
    expect(batches).toHaveLength(1)
    release()
    await flushed()
    timers.advance(0)
    expect(batches.map((b) => b.keys)).toEqual([['a'], ['b']])
  })

  it('puts a failed batch back and retries it', async () => {
    let fail = true
    const { timers, batches, errors, c } = setup(() => {
      if (fail) throw new Error('read failed')
    })
    c.mark('a')
    timers.advance(0)
    await flushed()
    fail = false
    c.mark('b')
    timers.advance(250)
    await flushed()
    expect(errors).toHaveLength(1)
    expect(batches.map((b) => b.keys)).toEqual([['a'], ['a', 'b']])
  })

  it('stops after close', async () => {
    const { timers, batches, c } = setup()
    c.mark('a')
    c.close()
    c.mark('b')
    timers.advance(1000)
    await flushed()
    expect(batches).toEqual([])
    expect(timers.pending()).toBe(0)
  })
})
