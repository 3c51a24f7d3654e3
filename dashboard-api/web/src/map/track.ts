// A truck's day on the map (轨迹回放): the downsampled track as a line, the stretches in
// violation over it in magenta, stops and tipping events as markers, and the truck where it
// was at the replay's instant. Painted on a canvas over the ECharts geo map with the geo's own
// mapping, as the live map does (layers.ts: no setOption per frame, so playing costs a few ms).
import type { TrackPoint, VehicleTrack } from '../../../../contracts/opsCentre.ts'
import type { Mapping } from './layers.ts'

export const TRACK_COLORS = {
  track: '#4fc3f7',
  violation: '#ff3df2',
  stop: '#d8c27a',
  tip: '#2fb47d',
  truck: '#ffffff'
}
/** Replay speeds: seconds of the day per second of wall time. */
export const SPEEDS = [1, 10, 60, 300] as const

/** Where the truck was at `t`: linear between the two fixes around it (clamped to the day's first and last). */
export function positionAt(points: readonly TrackPoint[], t: number): TrackPoint | null {
  if (points.length === 0) return null
  if (t <= points[0]!.t) return points[0]!
  const last = points[points.length - 1]!
  if (t >= last.t) return last
  let lo = 0
  let hi = points.length - 1
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1
    if (points[mid]!.t <= t) lo = mid
    else hi = mid
  }
  const a = points[lo]!
  const b = points[hi]!
  const f = (t - a.t) / (b.t - a.t)
  return {
    t,
    lat: a.lat + (b.lat - a.lat) * f,
    lon: a.lon + (b.lon - a.lon) * f,
    speedKmh: a.speedKmh,
    headingDeg: a.headingDeg ?? b.headingDeg
  }
}

/** The segments [i, i+1] that lie in a violation stretch. */
function inViolation(track: VehicleTrack, a: TrackPoint, b: TrackPoint): boolean {
  return track.violations.some((v) => a.t >= v.from && b.t <= v.to)
}

export function paintTrack(
  g: CanvasRenderingContext2D,
  m: Mapping,
  dpr: number,
  track: VehicleTrack,
  at: number | null
): void {
  const px = (p: { lon: number; lat: number }): [number, number] => [m.ax * p.lon + m.bx, m.ay * p.lat + m.by]
  const pts = track.points
  g.lineJoin = 'round'
  g.lineCap = 'round'
  g.beginPath()
  pts.forEach((p, i) => {
    const [x, y] = px(p)
    if (i === 0) g.moveTo(x, y)
    else g.lineTo(x, y)
  })
  g.lineWidth = 2.5
  g.strokeStyle = TRACK_COLORS.track
  g.stroke()
  g.beginPath()
  for (let i = 1; i < pts.length; i++) {
    if (!inViolation(track, pts[i - 1]!, pts[i]!)) continue
    const [x0, y0] = px(pts[i - 1]!)
    const [x1, y1] = px(pts[i]!)
    g.moveTo(x0, y0)
    g.lineTo(x1, y1)
  }
  g.lineWidth = 5
  g.strokeStyle = TRACK_COLORS.violation
  g.stroke()
  for (const s of track.stops) {
    const [x, y] = px(s)
    g.fillStyle = TRACK_COLORS.stop
    g.fillRect(x - 5, y - 5, 10, 10)
    g.lineWidth = 1
    g.strokeStyle = '#1b1206'
    g.strokeRect(x - 5, y - 5, 10, 10)
  }
  for (const tp of track.tipping) {
    const p = positionAt(pts, tp.t)
    if (!p) continue
    const [x, y] = px(p)
    g.beginPath()
    g.moveTo(x, y - 8)
    g.lineTo(x + 7, y + 5)
    g.lineTo(x - 7, y + 5)
    g.closePath()
    g.fillStyle = TRACK_COLORS.tip
    g.fill()
    g.strokeStyle = '#ffffff'
    g.stroke()
  }
  const now = at === null ? null : positionAt(pts, at)
  if (now) {
    const [x, y] = px(now)
    const r = ((now.headingDeg ?? 0) * Math.PI) / 180
    g.setTransform(dpr * Math.cos(r), dpr * Math.sin(r), -dpr * Math.sin(r), dpr * Math.cos(r), dpr * x, dpr * y)
    g.beginPath()
    g.moveTo(0, -10)
    g.lineTo(7, 8)
    g.lineTo(0, 4)
    g.lineTo(-7, 8)
    g.closePath()
    g.fillStyle = TRACK_COLORS.truck
    g.fill()
    g.lineWidth = 1.5
    g.strokeStyle = '#0f1923'
    g.stroke()
    g.setTransform(dpr, 0, 0, dpr, 0, 0)
  }
}

/** The geo view that shows the whole track: its centre and a zoom for its extent (the geo's 1 ≈ the city). */
export function fitTrack(points: readonly TrackPoint[]): { center: [number, number]; zoom: number } | null {
  if (points.length === 0) return null
  let [w, e, s, n] = [Infinity, -Infinity, Infinity, -Infinity]
  for (const p of points) {
    w = Math.min(w, p.lon)
    e = Math.max(e, p.lon)
    s = Math.min(s, p.lat)
    n = Math.max(n, p.lat)
  }
  // Wuxi's outlines span ~1.2° east-west; a zoom of 1.2 / extent shows the track with a margin.
  const extent = Math.max(e - w, (n - s) / 0.85, 0.01)
  return { center: [(w + e) / 2, (s + n) / 2], zoom: Math.min(40, Math.max(1, 0.6 / extent)) }
}
