// A vehicle's day as the replay draws it, from its stored fixes (pure; model/track.ts reads them).
//
// - Downsampling keeps what a replay needs: the first and last fix; a fix whose heading turned
//   by ≥ TURN_DEG or whose speed changed by ≥ SPEED_STEP_KMH against the last kept fix; every
//   start and end of standing still (speed < STOP_KMH); and at least one fix every
//   KEEP_EVERY_MS. A 15-s tracker's day of ~2,600 fixes becomes a few hundred points with
//   every corner and stop in place.
// - Stops: a run of fixes below STOP_KMH that stays within STOP_RADIUS_M of its first fix for
//   at least `stopMinutes`; named after the site it is at (within SITE_RADIUS_M) or the zone it
//   is in.
// - Violations: runs of consecutive fixes in a zone outside the windows its type may be there,
//   or over the speed limit of the zones it is in (or the city default), with the zones as
//   they are now (the same rules as the live view, dashboard-api/fold/position.ts), computed
//   on every fix before downsampling.
import type { Site, Zone } from '../../contracts/registry.ts'
import type { TrackPoint, TrackStop, TrackViolation } from '../../contracts/opsCentre.ts'
import { localMinuteOfDay } from '../fold/time.ts'
import { allowedIn, speedLimitAt, zonesAt } from '../fold/zones.ts'

export const TURN_DEG = 20
export const SPEED_STEP_KMH = 10
export const KEEP_EVERY_MS = 60_000
export const STOP_KMH = 3
export const STOP_RADIUS_M = 100
export const SITE_RADIUS_M = 300
export const DEFAULT_STOP_MINUTES = 5

const R = 6_371_000
const rad = (d: number): number => (d * Math.PI) / 180

/** Great-circle distance, metres. */
export function metres(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const dLat = rad(b.lat - a.lat)
  const dLon = rad(b.lon - a.lon)
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)))
}

const turn = (a: number | null, b: number | null): number => {
  if (a === null || b === null) return 0
  const d = Math.abs(a - b) % 360
  return d > 180 ? 360 - d : d
}

/** Fixes in time order → the points the replay draws. */
export function downsample(fixes: readonly TrackPoint[]): TrackPoint[] {
  if (fixes.length <= 2) return [...fixes]
  const out: TrackPoint[] = [fixes[0]!]
  for (let i = 1; i < fixes.length - 1; i++) {
    const f = fixes[i]!
    const last = out[out.length - 1]!
    const prev = fixes[i - 1]!
    const next = fixes[i + 1]!
    const still = f.speedKmh < STOP_KMH
    if (
      f.t - last.t >= KEEP_EVERY_MS ||
      turn(f.headingDeg, last.headingDeg) >= TURN_DEG ||
      Math.abs(f.speedKmh - last.speedKmh) >= SPEED_STEP_KMH ||
      still !== prev.speedKmh < STOP_KMH ||
      still !== next.speedKmh < STOP_KMH
    )
      out.push(f)
  }
  out.push(fixes[fixes.length - 1]!)
  return out
}

export function distanceKm(fixes: readonly TrackPoint[]): number {
  let m = 0
  for (let i = 1; i < fixes.length; i++) m += metres(fixes[i - 1]!, fixes[i]!)
  return Math.round(m / 10) / 100
}

function placeOf(p: { lat: number; lon: number }, sites: readonly Site[], zones: readonly Zone[]): TrackStop['place'] {
  let best: Site | undefined
  let bestM = SITE_RADIUS_M
  for (const s of sites) {
    const m = metres(p, s.location)
    if (m <= bestM) {
      best = s
      bestM = m
    }
  }
  if (best) return { kind: 'site', id: best.id, name: best.name }
  const z = zonesAt(zones, p.lon, p.lat)[0]
  return z ? { kind: 'zone', id: z.id, name: z.name } : null
}

export function stops(
  fixes: readonly TrackPoint[],
  stopMinutes: number,
  sites: readonly Site[],
  zones: readonly Zone[]
): TrackStop[] {
  const out: TrackStop[] = []
  let i = 0
  while (i < fixes.length) {
    const a = fixes[i]!
    if (a.speedKmh >= STOP_KMH) {
      i++
      continue
    }
    let j = i
    while (j + 1 < fixes.length && fixes[j + 1]!.speedKmh < STOP_KMH && metres(a, fixes[j + 1]!) <= STOP_RADIUS_M) j++
    const b = fixes[j]!
    if (b.t - a.t >= stopMinutes * 60_000) {
      out.push({
        from: a.t,
        to: b.t,
        minutes: Math.round((b.t - a.t) / 6_000) / 10,
        lat: a.lat,
        lon: a.lon,
        place: placeOf(a, sites, zones)
      })
    }
    i = j + 1
  }
  return out
}

export interface ViolationRules {
  readonly zones: readonly Zone[]
  readonly vehicleType: string
  readonly tz: string
  readonly defaultSpeedLimitKmh: number
}

export function violations(fixes: readonly TrackPoint[], r: ViolationRules): TrackViolation[] {
  const out: TrackViolation[] = []
  let zoneRun: TrackViolation | undefined
  let speedRun: TrackViolation | undefined
  // The local minute costs a time-zone lookup: only for fixes in a zone with windows, and
  // the zone's offset once per quarter hour (offsets change on quarter hours at most).
  const offsets = new Map<number, number>()
  const minuteOf = (t: number): number => {
    const q = Math.floor(t / 900_000)
    let base = offsets.get(q)
    if (base === undefined) {
      base = localMinuteOfDay(q * 900_000, r.tz)
      offsets.set(q, base)
    }
    return (base + Math.floor((t - q * 900_000) / 60_000)) % 1440
  }
  for (const f of fixes) {
    const inZones = zonesAt(r.zones, f.lon, f.lat)
    const windowed = inZones.filter((z) => z.windows.length > 0)
    const minute = windowed.length > 0 ? minuteOf(f.t) : 0
    const barred = windowed.find((z) => !allowedIn(z, r.vehicleType, minute))
    if (barred) {
      if (zoneRun && zoneRun.zoneId === barred.id) {
        zoneRun.to = f.t
        zoneRun.maxSpeedKmh = Math.max(zoneRun.maxSpeedKmh, f.speedKmh)
      } else {
        zoneRun = {
          type: 'zone-window',
          from: f.t,
          to: f.t,
          zoneId: barred.id,
          maxSpeedKmh: f.speedKmh,
          limitKmh: null
        }
        out.push(zoneRun)
      }
    } else zoneRun = undefined
    const limit = speedLimitAt(inZones, r.defaultSpeedLimitKmh)
    if (f.speedKmh > limit) {
      if (speedRun && speedRun.limitKmh === limit) {
        speedRun.to = f.t
        speedRun.maxSpeedKmh = Math.max(speedRun.maxSpeedKmh, f.speedKmh)
      } else {
        const zoneId = inZones.find((z) => z.speedLimitKmh === limit)?.id ?? null
        speedRun = { type: 'speeding', from: f.t, to: f.t, zoneId, maxSpeedKmh: f.speedKmh, limitKmh: limit }
        out.push(speedRun)
      }
    } else speedRun = undefined
  }
  return out.sort((a, b) => a.from - b.from)
}
