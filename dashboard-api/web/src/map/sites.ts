// Transfer stations and sorting centres on the map: a diamond at the site's registry location
// (WGS-84, `location` on its balance), coloured by its day: cleared, on track, at risk, will not
// clear, over capacity, or no data yet (no ticket today and nothing projected against it, the
// same rule as the city's counts in dashboard-api/fold/sites.ts). Painted on the points canvas
// over bins and under trucks (see layers.ts for why points are not ECharts series).
import type { SiteBalance } from '../../../../contracts/ops.ts'
import type { Mapping } from './layers.ts'

export const SITE_CLASSES = [
  { id: 'no-data', color: '#6b7785' },
  { id: 'will-not-clear', color: '#e0413a' },
  { id: 'over-capacity', color: '#b455e6' },
  { id: 'at-risk', color: '#e39a2b' },
  { id: 'on-track', color: '#4fc3f7' },
  { id: 'cleared', color: '#2fb47d' }
] as const
export type SiteClass = (typeof SITE_CLASSES)[number]['id']

/** One class per site: the worst of what is true of it (will not clear outranks over capacity). */
export function siteClass(b: SiteBalance): SiteClass {
  const st = b.projection.status
  if (b.ticketsIn + b.ticketsOut === 0 && !b.projection.overCapacity && (st === 'on-track' || st === 'cleared'))
    return 'no-data'
  if (st === 'will-not-clear') return 'will-not-clear'
  if (b.projection.overCapacity) return 'over-capacity'
  return st
}

export interface SiteHits {
  x: Float32Array
  y: Float32Array
  ref: SiteBalance[]
}

const R = 7

/** Paints the sites that have a location; returns where (for hover and click) and how many per class. */
export function paintSites(
  g: CanvasRenderingContext2D,
  m: Mapping,
  sites: Iterable<SiteBalance>
): { hits: SiteHits; counts: Record<string, number> } {
  const list = [...sites].filter((s) => s.location)
  const xs = new Float32Array(list.length)
  const ys = new Float32Array(list.length)
  const counts: Record<string, number> = {}
  list.forEach((s, i) => {
    const x = m.ax * s.location!.lon + m.bx
    const y = m.ay * s.location!.lat + m.by
    const cls = siteClass(s)
    counts[cls] = (counts[cls] ?? 0) + 1
    g.beginPath()
    g.moveTo(x, y - R)
    g.lineTo(x + R, y)
    g.lineTo(x, y + R)
    g.lineTo(x - R, y)
    g.closePath()
    g.fillStyle = SITE_CLASSES.find((c) => c.id === cls)!.color
    g.fill()
    g.lineWidth = 1.5
    g.strokeStyle = '#ffffff'
    g.stroke()
    xs[i] = x
    ys[i] = y
  })
  return { hits: { x: xs, y: ys, ref: list }, counts }
}

/** The site under the pointer, within `radius` px. */
export function siteAt(h: SiteHits, px: number, py: number, radius: number): SiteBalance | null {
  let best: SiteBalance | null = null
  let bestD = radius * radius
  for (let i = 0; i < h.x.length; i++) {
    const d = (h.x[i]! - px) ** 2 + (h.y[i]! - py) ** 2
    if (d < bestD) {
      bestD = d
      best = h.ref[i]!
    }
  }
  return best
}

/** `?focus=lon,lat` from the alerts' "show on map": a point in Wuxi's neighbourhood, else null. */
export function parseFocus(v: unknown): [number, number] | null {
  if (typeof v !== 'string') return null
  const [lon, lat] = v.split(',').map(Number)
  if (lon === undefined || lat === undefined || !Number.isFinite(lon) || !Number.isFinite(lat)) return null
  return Math.abs(lon) <= 180 && Math.abs(lat) <= 90 ? [lon, lat] : null
}
