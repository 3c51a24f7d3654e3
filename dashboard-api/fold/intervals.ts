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

const NONE: readonly number[] = Object.freeze([])

/**
 * A class, not a closure per method: the live day holds three per device (seqs accepted, late,
 * all), most of them empty for devices that send no seq, so each costs one small object until
 * its first number (the closures and their context were ~700 bytes a set).
 */
class Intervals implements IntervalSet {
  private lo: number[] = NONE as number[]
  private hi: number[] = NONE as number[]
  private size = 0

  /** Index of the last interval with lo ≤ n, or -1. */
  private floor(n: number): number {
    const lo = this.lo
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

  add(n: number): boolean {
    const i = this.floor(n)
    if (i >= 0 && this.hi[i]! >= n) return false
    if (this.lo === NONE) {
      this.lo = []
      this.hi = []
    }
    const { lo, hi } = this
    this.size++
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
  }

  has(n: number): boolean {
    const i = this.floor(n)
    return i >= 0 && this.hi[i]! >= n
  }

  count(): number {
    return this.size
  }

  min(): number | undefined {
    return this.lo[0]
  }

  max(): number | undefined {
    return this.hi[this.hi.length - 1]
  }

  gaps(): number {
    return this.lo.length === 0 ? 0 : this.hi[this.hi.length - 1]! - this.lo[0]! + 1 - this.size
  }

  intervals(): readonly (readonly [number, number])[] {
    return this.lo.map((l, i) => [l, this.hi[i]!] as const)
  }
}

export function createIntervalSet(): IntervalSet {
  return new Intervals()
}
