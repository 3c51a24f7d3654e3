// Small planar geometry on lon/lat, enough for sampling points inside district outlines a few
// tens of kilometres across (equirectangular distances are within 0.1 % at that scale).

export type Position = [number, number] // [lon, lat], GeoJSON order
export type Ring = Position[]
export type Polygon = Ring[] // outer ring first, then holes

export interface BBox {
  minLon: number
  minLat: number
  maxLon: number
  maxLat: number
}

import { pointInRing } from '../../lib/geo.ts'

export { pointInRing }

const METRES_PER_DEG_LAT = 110_574

export function bboxOf(polygons: readonly Polygon[]): BBox {
  let minLon = Infinity,
    minLat = Infinity,
    maxLon = -Infinity,
    maxLat = -Infinity
  for (const poly of polygons) {
    for (const [lon, lat] of poly[0] ?? []) {
      if (lon < minLon) minLon = lon
      if (lon > maxLon) maxLon = lon
      if (lat < minLat) minLat = lat
      if (lat > maxLat) maxLat = lat
    }
  }
  return { minLon, minLat, maxLon, maxLat }
}

export function pointInPolygon(lon: number, lat: number, polygon: Polygon): boolean {
  const [outer, ...holes] = polygon
  if (!outer || !pointInRing(lon, lat, outer)) return false
  return !holes.some((h) => pointInRing(lon, lat, h))
}

export function pointInAny(lon: number, lat: number, polygons: readonly Polygon[]): boolean {
  return polygons.some((p) => pointInPolygon(lon, lat, p))
}

/** Distance in metres from a point to the nearest edge of any ring of any polygon. */
export function distanceToBoundaryM(lon: number, lat: number, polygons: readonly Polygon[]): number {
  const kx = METRES_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180)
  const ky = METRES_PER_DEG_LAT
  let best = Infinity
  for (const poly of polygons) {
    for (const ring of poly) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const ax = (ring[j]![0] - lon) * kx,
          ay = (ring[j]![1] - lat) * ky
        const bx = (ring[i]![0] - lon) * kx,
          by = (ring[i]![1] - lat) * ky
        const dx = bx - ax,
          dy = by - ay
        const len2 = dx * dx + dy * dy
        const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2))
        const px = ax + t * dx,
          py = ay + t * dy
        const d2 = px * px + py * py
        if (d2 < best) best = d2
      }
    }
  }
  return Math.sqrt(best)
}

/** Whether two segments properly cross (used to check a hand-drawn outline against another). */
export function segmentsCross(a: Position, b: Position, c: Position, d: Position): boolean {
  const o = (p: Position, q: Position, r: Position) =>
    Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]))
  return o(a, b, c) * o(a, b, d) < 0 && o(c, d, a) * o(c, d, b) < 0
}
