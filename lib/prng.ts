// Seeded randomness for reproducible samples. mulberry32: a 32-bit state, good enough
// statistically for synthetic data, and defined only with 32-bit integer arithmetic, so the
// same seed gives the same sequence on every platform and Node version.

export type Rng = () => number

/** Uniform in [0, 1). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Integer in [min, max], both inclusive. */
export function intBetween(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1))
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick from an empty list')
  return items[Math.floor(rng() * items.length)]!
}

export function pickWeighted<T>(rng: Rng, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((sum, [, w]) => sum + w, 0)
  let r = rng() * total
  for (const [item, w] of items) {
    r -= w
    if (r < 0) return item
  }
  return items[items.length - 1]![0]
}

/**
 * Approximately standard normal: the Irwin–Hall sum of 12 uniforms minus 6 (mean 0,
 * variance 1, tails cut at ±6). Only + and - are involved, unlike Box–Muller's log and cos,
 * so the output cannot drift with a change in Math's last-bit accuracy.
 */
export function approxNormal(rng: Rng): number {
  let s = 0
  for (let i = 0; i < 12; i++) s += rng()
  return s - 6
}
