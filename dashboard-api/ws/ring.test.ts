import { describe, expect, it } from 'vitest'
import { createRing, decideResume } from './ring.ts'

describe('ring buffer', () => {
  it('keeps the last `capacity` entries and replays after a seq it still holds', () => {
    const r = createRing<string>(3)
    expect(r.after(0)).toBeUndefined()
    for (let s = 11; s <= 15; s++) r.push(s, `d${s}`)
    expect(r.size).toBe(3)
    expect(r.after(12)).toEqual(['d13', 'd14', 'd15'])
    expect(r.after(14)).toEqual(['d15'])
    expect(r.after(15)).toEqual([])
    expect(r.after(11)).toBeUndefined()
    expect(r.after(16)).toBeUndefined()
  })

  it('refuses a seq that does not follow the last one', () => {
    const r = createRing<string>(2)
    r.push(5, 'a')
    expect(() => r.push(7, 'b')).toThrow(RangeError)
  })
})

describe('resume decision', () => {
  const ring = createRing<string>(4)
  for (let s = 101; s <= 106; s++) ring.push(s, `d${s}`) // holds 103..106; last seq 106

  it('replays the missed deltas when the seq is still in the ring', () => {
    expect(decideResume(104, 106, ring)).toEqual({ kind: 'replay', entries: ['d105', 'd106'] })
    expect(decideResume(102, 106, ring)).toEqual({ kind: 'replay', entries: ['d103', 'd104', 'd105', 'd106'] })
  })
  it('needs nothing when the client is up to date', () => {
    expect(decideResume(106, 106, ring)).toEqual({ kind: 'replay', entries: [] })
    expect(decideResume(100, 100, createRing(4))).toEqual({ kind: 'replay', entries: [] })
  })
  it('sends a snapshot for no resume, an evicted seq, a seq from an earlier stream, or one ahead', () => {
    expect(decideResume(undefined, 106, ring)).toEqual({ kind: 'snapshot', reason: 'no-resume' })
    expect(decideResume(101, 106, ring)).toEqual({ kind: 'snapshot', reason: 'unknown-seq' })
    expect(decideResume(7, 106, ring)).toEqual({ kind: 'snapshot', reason: 'unknown-seq' })
    expect(decideResume(107, 106, ring)).toEqual({ kind: 'snapshot', reason: 'unknown-seq' })
    expect(decideResume(99, 100, createRing(4))).toEqual({ kind: 'snapshot', reason: 'unknown-seq' })
  })
})
