// Point in polygon on lon/lat, shared by the sample generator (district outlines) and the day
// fold (zones): even-odd ray casting on the plane. Areas here are at most tens of kilometres
// across, where the planar approximation is far below GPS error.

/** [lon, lat], GeoJSON order. */
export type LonLatPair = readonly [number, number]

/** Even-odd ray casting; a point exactly on an edge may fall either way. */
export function pointInRing(lon: number, lat: number, ring: readonly LonLatPair[]): boolean {
  let inside = false
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!
    const [xj, yj] = ring[j]!
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside
  }
  return inside
}
