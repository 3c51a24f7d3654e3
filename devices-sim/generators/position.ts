import type { Fix } from '../city/route.ts'
import type { Generator } from './types.ts'

const r = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits

export const position: Generator<'position', Fix> = (f, { ts, seq }) => ({
  ts,
  seq,
  lat: r(f.lat, 6),
  lon: r(f.lon, 6),
  speedKmh: r(f.speedKmh, 1),
  headingDeg: r(f.headingDeg, 1) % 360,
  ignition: f.ignition
})
