// Plane geometry on WGS-84 at city scale: haversine distances and bearings are plenty for a
// simulated truck on a 50 km map; positions are linear interpolations between two fixes.
import type { Location } from '../../contracts/registry.ts'

const R_EARTH_M = 6_371_000
const rad = (deg: number): number => (deg * Math.PI) / 180

export function distanceM(a: Location, b: Location): number {
  const dLat = rad(b.lat - a.lat)
  const dLon = rad(b.lon - a.lon)
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2
  return 2 * R_EARTH_M * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** Initial bearing from a to b, degrees in [0, 360). */
export function bearingDeg(a: Location, b: Location): number {
  const y = Math.sin(rad(b.lon - a.lon)) * Math.cos(rad(b.lat))
  const x =
    Math.cos(rad(a.lat)) * Math.sin(rad(b.lat)) -
    Math.sin(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.cos(rad(b.lon - a.lon))
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360
}

export function lerp(a: Location, b: Location, f: number): Location {
  return { lat: a.lat + (b.lat - a.lat) * f, lon: a.lon + (b.lon - a.lon) * f }
}

/** A point `meters` away from `at` on `bearing` (flat-earth offset; fine below ~20 km). */
export function offset(at: Location, meters: number, bearing: number): Location {
  const dLat = (meters * Math.cos(rad(bearing))) / 111_320
  const dLon = (meters * Math.sin(rad(bearing))) / (111_320 * Math.cos(rad(at.lat)))
  return { lat: at.lat + dLat, lon: at.lon + dLon }
}
