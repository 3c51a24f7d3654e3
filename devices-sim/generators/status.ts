import type { Generator } from './types.ts'

export interface StatusSample {
  readonly batteryPct?: number
  readonly rssiDbm: number
  readonly firmware: string
  readonly uptimeS: number
}

export const status: Generator<'status', StatusSample> = (s, { ts, seq }) => ({
  ts,
  seq,
  ...(s.batteryPct === undefined ? {} : { batteryPct: Math.round(Math.min(100, Math.max(0, s.batteryPct)) * 10) / 10 }),
  rssiDbm: Math.round(Math.min(0, Math.max(-150, s.rssiDbm))),
  firmware: s.firmware,
  uptimeS: Math.max(0, Math.floor(s.uptimeS))
})
