import type { Direction, Material, Stream } from '../../contracts/device/index.ts'
import type { Location } from '../../contracts/registry.ts'

export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR

/** A stretch of a truck's day: driving from one place to another, or standing still. */
export type Segment =
  | {
      readonly kind: 'drive'
      readonly t0: number
      readonly t1: number
      readonly from: Location
      readonly to: Location
      readonly speedKmh: number
    }
  | {
      readonly kind: 'stop'
      readonly t0: number
      readonly t1: number
      readonly at: Location
      readonly binId?: string
      readonly siteId?: string
    }

export interface TruckPlan {
  readonly vehicleId: string
  readonly plate: string
  readonly segments: readonly Segment[]
}

/** One weighbridge ticket as the model sees it (kg are integers: tonnes compare to the kilogram). */
export interface Ticket {
  readonly siteId: string
  readonly t: number
  readonly direction: Direction
  readonly stream: Stream
  readonly material?: Material
  readonly plate: string
  readonly grossKg: number
  readonly tareKg: number
  readonly netKg: number
}

/** A bin emptied by a truck at `t`. */
export interface Emptying {
  readonly binId: string
  readonly t: number
}

export interface CityOptions {
  /** Local day `YYYY-MM-DD` in `tz`. */
  readonly date: string
  readonly tz: string
  readonly seed: number
  /** Fill sensors report every this many simulated seconds. */
  readonly fillIntervalS: number
  /** Trackers report every this many simulated seconds while on duty. */
  readonly gpsIntervalS: number
  /** Heartbeats of every device, simulated seconds. */
  readonly statusIntervalS: number
  /** How many stations and centres are made not to clear today. */
  readonly notClearing: number
  /**
   * Before `untilMs`, trackers report every `intervalS` instead of `gpsIntervalS`: the demo's
   * catch-up replays the hours already past with fewer fixes (README, the demo). Only the
   * trackers' positions change; tickets, fills and heartbeats are those of the full day.
   */
  readonly coarseGps?: { readonly untilMs: number; readonly intervalS: number }
  /**
   * Before `untilMs`, fill sensors report every `intervalS` instead of `fillIntervalS` (the
   * catch-up again: most of a day's messages are the bins' readings). The bins' levels are
   * those of the full day; the readings' noise and the heartbeats' draw other numbers.
   */
  readonly coarseFill?: { readonly untilMs: number; readonly intervalS: number }
}

export const DEFAULT_CITY_OPTIONS = {
  fillIntervalS: 300,
  gpsIntervalS: 15,
  statusIntervalS: 3600,
  notClearing: 2
} as const
