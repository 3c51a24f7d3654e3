import { describe, expect, it } from 'vitest'
import { createIntervalSet } from './intervals.ts'

describe('interval set', () => {
  it('merges neighbours, counts gaps, refuses repeats', () => {
    const s = createIntervalSet()
    for (const n of [5, 1, 3, 2, 9, 4]) expect(s.add(n)).toBe(true)
    expect(s.add(3)).toBe(false)
    expect(s.intervals()).toEqual([
      [1, 5],
      [9, 9]
    ])
    expect([s.count(), s.min(), s.max(), s.gaps()]).toEqual([6, 1, 9, 3])
    s.add(7)
    s.add(8)
    s.add(6)
    expect(s.intervals()).toEqual([[1, 9]])
    expect(s.gaps()).toBe(0)
    expect(s.has(10)).toBe(false)
    expect(createIntervalSet().gaps()).toBe(0)
  })
})
