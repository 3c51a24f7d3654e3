// A set of non-negative integers kept as sorted, disjoint, non-adjacent [lo, hi] intervals:
// a device's seq numbers of a day in a handful of intervals instead of one entry per message
// (an interval set per device per day, not every seq: bounded memory for any seq pattern).

export interface IntervalSet {
  /** Adds n; true when it was not in the set. */
  add(n: number): boolean
  has(n: number): boolean
  /** How many numbers are in the set. */
  count(): number
  min(): number | undefined
  max(): number | undefined
  /** Numbers between min and max that are not in the set (the gaps). */
  gaps(): number
  intervals(): readonly (readonly [number, number])[]
}

export function createIntervalSet(): IntervalSet {
  const lo: number[] = []
  const hi: number[] = []
  let size = 0

  /** Index of the last interval with lo ≤ n, or -1. */
  function floor(n: number): number {
    let a = 0
    let b = lo.length - 1
    let r = -1
    while (a <= b) {
      const m = (a + b) >> 1
      if (lo[m]! <= n) {
        r = m
        a = m + 1
      } else b = m - 1
    }
    return r
  }

  return {
    add(n) {
      const i = floor(n)
      if (i >= 0 && hi[i]! >= n) return false
      size++
      const joinsLeft = i >= 0 && hi[i]! === n - 1
      const joinsRight = i + 1 < lo.length && lo[i + 1]! === n + 1
      if (joinsLeft && joinsRight) {
        hi[i] = hi[i + 1]!
        lo.splice(i + 1, 1)
        hi.splice(i + 1, 1)
      } else if (joinsLeft) hi[i] = n
      else if (joinsRight) lo[i + 1] = n
      else {
        lo.splice(i + 1, 0, n)
        hi.splice(i + 1, 0, n)
      }
      return true
    },
    has(n) {
      const i = floor(n)
      return i >= 0 && hi[i]! >= n
    },
    count: () => size,
    min: () => lo[0],
    max: () => hi[hi.length - 1],
    gaps: () => (lo.length === 0 ? 0 : hi[hi.length - 1]! - lo[0]! + 1 - size),
    intervals: () => lo.map((l, i) => [l, hi[i]!] as const)
  }
}
