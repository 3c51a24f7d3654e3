import { describe, expect, it } from 'vitest'
import { createDemoClock } from './demo.ts'

describe('the demo clock', () => {
  it('follows the catch-up forward only, never past the wall clock, then is the wall clock', () => {
    let wall = 10_000
    const c = createDemoClock(1_000, () => wall)
    expect(c.now()).toBe(1_000)
    c.advance(4_000)
    expect(c.now()).toBe(4_000)
    c.advance(3_000)
    expect(c.now()).toBe(4_000)
    c.advance(50_000)
    expect(c.now()).toBe(10_000)
    c.release()
    wall = 12_000
    expect(c.now()).toBe(12_000)
    c.advance(5_000)
    expect(c.now()).toBe(12_000)
  })
})
