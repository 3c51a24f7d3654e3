// Seeded randomness per entity: every bin, truck and device draws from its own stream, derived
// from the run seed and its id, so one device's sequence does not depend on how many others
// there are nor on how the shell slices simulated time.
import { fnv1a32 } from '../../lib/hash.ts'
import { mulberry32, type Rng } from '../../lib/prng.ts'

export { approxNormal, intBetween, pick, pickWeighted, type Rng } from '../../lib/prng.ts'

export function rngFor(seed: number, ...key: readonly (string | number)[]): Rng {
  return mulberry32((fnv1a32(`${seed}|${key.join('|')}`) ^ Math.imul(seed, 0x9e3779b1)) >>> 0)
}

export function between(rng: Rng, min: number, max: number): number {
  return min + rng() * (max - min)
}
