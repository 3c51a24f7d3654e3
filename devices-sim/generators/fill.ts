import type { Generator } from './types.ts'

export interface FillSample {
  readonly fillPct: number
  readonly batteryPct: number
  readonly tempC: number
}

const r1 = (x: number): number => Math.round(x * 10) / 10

export const fill: Generator<'fill', FillSample> = (s, { ts, seq }) => ({
  ts,
  seq,
  fillPct: r1(Math.min(150, Math.max(0, s.fillPct))),
  batteryPct: r1(Math.min(100, Math.max(0, s.batteryPct))),
  tempC: r1(s.tempC)
})
