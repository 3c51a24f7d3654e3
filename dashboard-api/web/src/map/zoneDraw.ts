// Drawing a zone's polygon on the geo map (components/ZoneMap.vue). Pure: pixels ↔ [lon, lat]
// through the geo's current mapping (map/layers.ts geoMapping: linear per axis), and the
// clean-up of a drawn ring. The map shows WGS-84 as stored (map/geo.ts: no GCJ-02 base map,
// nothing to convert), so a vertex's display coordinates are the ones saved.

export type LonLat = [number, number]

/**
 * lon/lat → pixels, linear per axis: what map/layers.ts geoMapping reads from the chart (the
 * same shape, declared here so this module needs no ECharts types and is tested under Node).
 */
export interface Mapping {
  ax: number
  bx: number
  ay: number
  by: number
}

/** A micro-degree is about 0.1 m: finer than any click, and it keeps the registry file readable. */
const round6 = (x: number): number => Math.round(x * 1e6) / 1e6

/** Map pixels (relative to the chart's box) → [lon, lat], rounded to 1e-6°. */
export function fromPixel(m: Mapping, x: number, y: number): LonLat {
  return [round6((x - m.bx) / m.ax), round6((y - m.by) / m.ay)]
}

export function toPixel(m: Mapping, p: LonLat): [number, number] {
  return [m.ax * p[0] + m.bx, m.ay * p[1] + m.by]
}

/** Within `px` pixels of each other on the map as it is now. */
export function near(m: Mapping, a: LonLat, b: LonLat, px: number): boolean {
  const [ax, ay] = toPixel(m, a)
  const [bx, by] = toPixel(m, b)
  return Math.hypot(ax - bx, ay - by) <= px
}

/**
 * The ring as it is saved: consecutive vertices within `px` of each other merged (a double
 * click to finish also lands two clicks on one spot), and a closing vertex equal to the first
 * dropped (the registry accepts an open ring).
 */
export function cleanRing(m: Mapping, ring: readonly LonLat[], px: number): LonLat[] {
  const out: LonLat[] = []
  for (const p of ring) if (out.length === 0 || !near(m, out[out.length - 1]!, p, px)) out.push(p)
  while (out.length > 1 && near(m, out[0]!, out[out.length - 1]!, px)) out.pop()
  return out
}

/** The midpoint of each edge (i → i+1, the last back to the first): where a new vertex can be pulled out. */
export function midpoints(ring: readonly LonLat[]): LonLat[] {
  if (ring.length < 2) return []
  return ring.map((p, i) => {
    const q = ring[(i + 1) % ring.length]!
    return [round6((p[0] + q[0]) / 2), round6((p[1] + q[1]) / 2)]
  })
}
