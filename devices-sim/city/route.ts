import { bearingDeg, lerp } from './geo.ts'
import type { Segment, TruckPlan } from './types.ts'

export interface Fix {
  readonly lat: number
  readonly lon: number
  readonly speedKmh: number
  readonly headingDeg: number
  readonly ignition: boolean
}

/** The truck's fix at `t`: on a drive, interpolated with its heading; stopped or parked, speed 0. */
export function positionAt(plan: TruckPlan, t: number): Fix {
  const segs = plan.segments
  let lo = 0
  let hi = segs.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (segs[mid]!.t0 <= t) lo = mid
    else hi = mid - 1
  }
  const s: Segment = segs[lo]!
  if (t < s.t0) {
    const at = s.kind === 'drive' ? s.from : s.at
    return { ...at, speedKmh: 0, headingDeg: 0, ignition: false }
  }
  if (s.kind === 'drive' && t <= s.t1) {
    const f = s.t1 === s.t0 ? 1 : (t - s.t0) / (s.t1 - s.t0)
    return { ...lerp(s.from, s.to, f), speedKmh: s.speedKmh, headingDeg: bearingDeg(s.from, s.to), ignition: true }
  }
  const at = s.kind === 'drive' ? s.to : s.at
  return { ...at, speedKmh: 0, headingDeg: s.kind === 'drive' ? bearingDeg(s.from, s.to) : 0, ignition: t <= s.t1 }
}

export function dutyWindow(plan: TruckPlan): { start: number; end: number } {
  return { start: plan.segments[0]!.t0, end: plan.segments[plan.segments.length - 1]!.t1 }
}
