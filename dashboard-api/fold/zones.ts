// Zones with access windows per vehicle type and speed limits. Point in polygon by
// even-odd ray casting on lon/lat: zones are a few hundred metres to a few kilometres across,
// where the planar approximation is far below GPS error.
import { hhmmMinutes, type Zone } from '../../contracts/registry.ts'
import { pointInRing } from '../../lib/geo.ts'

export { pointInRing }

export function zonesAt(zones: readonly Zone[], lon: number, lat: number): Zone[] {
  return zones.filter((z) => pointInRing(lon, lat, z.polygon))
}

/** [from, to) in local minutes; from > to spans midnight. */
export function inWindow(minute: number, from: string, to: string): boolean {
  const a = hhmmMinutes(from)
  const b = hhmmMinutes(to)
  return a < b ? minute >= a && minute < b : minute >= a || minute < b
}

/**
 * Whether a vehicle type may be in the zone at a local minute of the day: an empty `windows`
 * means no restriction; otherwise only inside a window that lists the type.
 */
export function allowedIn(zone: Zone, vehicleType: string, minute: number): boolean {
  if (zone.windows.length === 0) return true
  return zone.windows.some(
    (w) => (w.vehicleTypes as readonly string[]).includes(vehicleType) && inWindow(minute, w.from, w.to)
  )
}

/** The lowest limit of the zones the point is in, else the default. */
export function speedLimitAt(inZones: readonly Zone[], defaultKmh: number): number {
  let limit = Infinity
  for (const z of inZones) if (z.speedLimitKmh !== undefined && z.speedLimitKmh < limit) limit = z.speedLimitKmh
  return limit === Infinity ? defaultKmh : limit
}
