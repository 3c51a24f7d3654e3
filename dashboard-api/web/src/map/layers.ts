// The map's live points, painted on a canvas laid over the ECharts geo map.
//
// Speed (measured with bench/web.ts): every ECharts setOption re-renders the geo component, a
// fixed 20–40 ms on a slow machine whatever changed, so live points do not go through
// setOption. ECharts draws what is static (outlines, labels, zones; zones are re-set only when
// the set of violated zones changes) and handles pan and zoom; the 2,400 bins and 320 trucks
// are painted on the canvas, using the geo's own coordinate mapping (linear per axis without a
// projection, so two convertToPixel calls give it). A repaint is a few ms and happens at most
// once per animation frame, after deltas or a pan/zoom.
import type { BinView, VehicleView } from '../../../../contracts/ops.ts'
import type { ECharts } from '../echarts.ts'

export const FILL_CLASSES: Array<{
  id: string
  color: string
  key?: string
  label?: string
  test(f: number | null): boolean
}> = [
  { id: 'none', color: '#6b7785', key: 'map.noData', test: (f) => f === null },
  { id: 'ok', color: '#2fb47d', label: '< 50 %', test: (f) => f! < 50 },
  { id: 'half', color: '#c7c93c', label: '50–80 %', test: (f) => f! < 80 },
  { id: 'service', color: '#e39a2b', label: '80–100 %', test: (f) => f! < 100 },
  { id: 'overflow', color: '#e0413a', label: '≥ 100 %', test: () => true }
]
export const fillClass = (f: number | null): number => FILL_CLASSES.findIndex((c) => c.test(f))
export const TRUCK_CLASSES = [
  { id: 'moving', color: '#4fc3f7' },
  { id: 'idle', color: '#d8c27a' },
  { id: 'offline', color: '#8a97a6' },
  { id: 'violation', color: '#ff3df2' }
]
export const truckClass = (v: VehicleView): number =>
  v.zoneWindowViolation || v.speeding ? 3 : v.state === 'moving' ? 0 : v.state === 'idle' ? 1 : 2

export interface Mapping {
  ax: number
  bx: number
  ay: number
  by: number
}

/** lon/lat → canvas pixels, from the geo's current view (it changes with pan and zoom). */
export function geoMapping(chart: ECharts): Mapping | null {
  const a = chart.convertToPixel({ geoIndex: 0 }, [120, 31]) as number[] | undefined
  const b = chart.convertToPixel({ geoIndex: 0 }, [121, 32]) as number[] | undefined
  if (!a || !b || a.length < 2 || b.length < 2) return null
  const ax = b[0]! - a[0]!
  const ay = b[1]! - a[1]!
  return { ax, bx: a[0]! - 120 * ax, ay, by: a[1]! - 31 * ay }
}

export type Hit = BinView | VehicleView
export interface Hits {
  x: Float32Array
  y: Float32Array
  ref: Hit[]
}

export interface Layers {
  bins: boolean
  trucks: boolean
  zones: boolean
}

export interface Painted {
  hits: Hits
  violations: number
  /** Trucks painted per TRUCK_CLASSES id; bins per FILL_CLASSES id. */
  trucks: Record<string, number>
  bins: Record<string, number>
}

// Radius and outline per fill class: bins that need service or overflow are drawn larger,
// ringed and last (on top), so nine overflowing bins stand out among 2,400.
const BIN_STYLE = [
  { r: 2, ring: null },
  { r: 2, ring: null },
  { r: 2.4, ring: null },
  { r: 4.5, ring: '#1b1206' },
  { r: 6.5, ring: '#ffffff' }
]

/**
 * Paints bins (by fill class, the ones that need service on top) then trucks: moving as an
 * arrowhead turned to its heading, parked (idle) as a square, offline as a hollow ring,
 * in violation as a magenta arrowhead outlined in white. Returns what was painted where.
 */
export function paintPoints(
  g: CanvasRenderingContext2D,
  m: Mapping,
  dpr: number,
  bins: Iterable<BinView>,
  vehicles: Iterable<VehicleView>,
  n: number,
  layers: Layers = { bins: true, trucks: true, zones: true }
): Painted {
  const xs = new Float32Array(n)
  const ys = new Float32Array(n)
  const ref: Hit[] = new Array(n)
  let k = 0
  const binCounts: Record<string, number> = {}
  const truckCounts: Record<string, number> = {}
  if (layers.bins) {
    // One path per fill class, so the fill style changes five times per paint.
    const byClass: BinView[][] = FILL_CLASSES.map(() => [])
    for (const b of bins) byClass[fillClass(b.fillPct)]!.push(b)
    byClass.forEach((list, ci) => {
      const st = BIN_STYLE[ci]!
      binCounts[FILL_CLASSES[ci]!.id] = list.length
      if (st.ring) {
        // A soft halo first, so the marker reads at a glance on the dark map.
        g.beginPath()
        for (const b of list) {
          const x = m.ax * b.lon + m.bx
          const y = m.ay * b.lat + m.by
          g.moveTo(x + st.r * 2, y)
          g.arc(x, y, st.r * 2, 0, 2 * Math.PI)
        }
        g.fillStyle = ci === 4 ? 'rgba(224,65,58,0.28)' : 'rgba(227,154,43,0.22)'
        g.fill()
      }
      g.beginPath()
      for (const b of list) {
        const x = m.ax * b.lon + m.bx
        const y = m.ay * b.lat + m.by
        g.moveTo(x + st.r, y)
        g.arc(x, y, st.r, 0, 2 * Math.PI)
        xs[k] = x
        ys[k] = y
        ref[k++] = b
      }
      g.fillStyle = FILL_CLASSES[ci]!.color
      g.fill()
      if (st.ring) {
        g.lineWidth = 1.5
        g.strokeStyle = st.ring
        g.stroke()
      }
    })
  }
  let violations = 0
  if (layers.trucks) {
    for (const v of vehicles) {
      if (v.lat === null || v.lon === null) continue
      const x = m.ax * v.lon + m.bx
      const y = m.ay * v.lat + m.by
      const cls = truckClass(v)
      const id = TRUCK_CLASSES[cls]!.id
      truckCounts[id] = (truckCounts[id] ?? 0) + 1
      if (cls === 3) violations++
      g.fillStyle = TRUCK_CLASSES[cls]!.color
      g.strokeStyle = TRUCK_CLASSES[cls]!.color
      if (cls === 1) {
        g.fillRect(x - 3.5, y - 3.5, 7, 7)
      } else if (cls === 2) {
        g.beginPath()
        g.arc(x, y, 4, 0, 2 * Math.PI)
        g.lineWidth = 1.5
        g.stroke()
      } else {
        const r = ((v.headingDeg ?? 0) * Math.PI) / 180
        const cos = Math.cos(r)
        const sin = Math.sin(r)
        g.setTransform(dpr * cos, dpr * sin, -dpr * sin, dpr * cos, dpr * x, dpr * y)
        g.beginPath()
        g.moveTo(0, -7)
        g.lineTo(4.5, 5.5)
        g.lineTo(0, 2.5)
        g.lineTo(-4.5, 5.5)
        g.closePath()
        g.fill()
        if (cls === 3) {
          g.lineWidth = 1
          g.strokeStyle = '#ffffff'
          g.stroke()
        }
        g.setTransform(dpr, 0, 0, dpr, 0, 0)
      }
      xs[k] = x
      ys[k] = y
      ref[k++] = v
    }
  }
  g.setTransform(dpr, 0, 0, dpr, 0, 0)
  return { hits: { x: xs.subarray(0, k), y: ys.subarray(0, k), ref }, violations, trucks: truckCounts, bins: binCounts }
}

/** The nearest painted point within `radius` px; trucks are painted last (on top) and win a tie. */
export function hitTest(hits: Hits, px: number, py: number, radius: number): Hit | null {
  let best = -1
  let bestD = radius * radius
  for (let i = hits.x.length - 1; i >= 0; i--) {
    const dx = hits.x[i]! - px
    const dy = hits.y[i]! - py
    const d = dx * dx + dy * dy
    if (d < bestD) {
      bestD = d
      best = i
    }
  }
  return best < 0 ? null : (hits.ref[best] ?? null)
}
