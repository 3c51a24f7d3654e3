// Map without external tiles: Wuxi's district outlines (served from /data, WGS-84) as an
// ECharts geo map, bins coloured by fill, trucks moving live, restricted zones with the ones
// holding a truck outside its window highlighted.
//
// Datum: the outlines, bins and vehicles are all WGS-84, so nothing is converted here. A
// GCJ-02 base map (AMap/Tencent tiles, which Chinese law requires for published maps) would
// need our points converted with gcoord (gcoord.transform([lon, lat], gcoord.WGS84,
// gcoord.GCJ02)) before they are drawn on it — about 440 m east and 215 m north around Wuxi.
//
// Speed (measured with bench/web.ts): every ECharts setOption re-renders the geo component, a
// fixed 20–40 ms on a slow machine whatever changed, so live points do not go through
// setOption. ECharts draws what is static (outlines, labels, zones; zones are re-set only when
// the set of violated zones changes) and handles pan and zoom; the 2,400 bins and 320 trucks
// are painted on a canvas laid over it, using the geo's own coordinate mapping (linear per
// axis without a projection, so two convertToPixel calls give it). A repaint is a few ms and
// happens at most once per animation frame, after deltas or a pan/zoom.
/* global fetch, window, requestAnimationFrame */
import { createCollection } from '../live.js'
import { fill, frameThrottle, h } from '../dom.js'
import { createChart, whenEcharts } from './charts.js'

const MAP = 'wuxi'
const FILL_CLASSES = [
  { id: 'none', color: '#6b7785', key: 'map.noData', test: (f) => f === null },
  { id: 'ok', color: '#2fb47d', label: '< 50 %', test: (f) => f < 50 },
  { id: 'half', color: '#c7c93c', label: '50–80 %', test: (f) => f < 80 },
  { id: 'service', color: '#e39a2b', label: '80–100 %', test: (f) => f < 100 },
  { id: 'overflow', color: '#e0413a', label: '≥ 100 %', test: () => true }
]
const fillClass = (f) => FILL_CLASSES.findIndex((c) => c.test(f))
const TRUCK_CLASSES = [
  { id: 'moving', color: '#4fc3f7' },
  { id: 'idle', color: '#9aa7b4' },
  { id: 'offline', color: '#6b7785' },
  { id: 'violation', color: '#ff3df2' }
]
const truckClass = (v) =>
  v.zoneWindowViolation || v.speeding ? 3 : v.state === 'moving' ? 0 : v.state === 'idle' ? 1 : 2
const HIT_PX = 7

let districtsPromise = null
/** The outlines are fetched and registered once per page load. */
function loadDistricts() {
  districtsPromise ??= Promise.all([
    fetch('/data/wuxi-districts.json').then((r) => {
      if (!r.ok) throw new Error(`districts: HTTP ${r.status}`)
      return r.json()
    }),
    whenEcharts()
  ]).then(([geo, echarts]) => {
    echarts.registerMap(MAP, geo)
    return geo
  })
  districtsPromise.catch(() => {
    districtsPromise = null
  })
  return districtsPromise
}

/** Zones are registry data; a viewer route may not exist yet, the admin one needs the admin role. */
async function loadZones(api) {
  for (const path of ['/zones', '/admin/zones']) {
    try {
      return await api.get(path)
    } catch {
      // try the next
    }
  }
  return null
}

export function mountMap({ i18n, live, api }, el) {
  const { t } = i18n
  const bins = createCollection((b) => b.binId)
  const vehicles = createCollection((v) => v.vehicleId)
  const counts = h('span.muted#map-counts')
  const zoneNote = h('span.muted#map-zones')
  const chartEl = h('div.map-chart')
  const canvas = h('canvas.map-points')
  const tip = h('div.map-tip#map-tip', { hidden: true })
  const wrap = h('div.map#map', null, chartEl, canvas, tip)
  const legend = h(
    'div.map-legend',
    null,
    h('span.legend-title', null, t('map.bins')),
    FILL_CLASSES.map((c) => h(`span.legend-item.bin-${c.id}`, null, c.key ? t(c.key) : c.label)),
    h('span.legend-title', null, t('map.trucks')),
    TRUCK_CLASSES.map((c) => h(`span.legend-item.truck-${c.id}`, null, t(`map.legend.${c.id}`)))
  )
  fill(
    el,
    h('div.toolbar', null, h('h2', null, t('nav.map')), counts, zoneNote),
    legend,
    wrap,
    h('p.attribution#map-attribution', null, t('map.attribution'))
  )
  const chart = createChart(chartEl)
  const ctx2d = canvas.getContext('2d')
  let zones = []
  let ready = false
  let disposed = false
  const stats = { renders: 0, renderMs: 0 }
  /** Pixel positions of what was painted last, for hover. */
  let hits = { x: new Float32Array(0), y: new Float32Array(0), ref: [] }

  const violatingZones = () => {
    const s = new Set()
    for (const v of vehicles.items.values()) if (v.zoneWindowViolation && v.zoneId) s.add(v.zoneId)
    return s
  }
  const zoneSeries = () => {
    const bad = violatingZones()
    return {
      id: 'zones',
      name: t('map.zones'),
      type: 'custom',
      coordinateSystem: 'geo',
      data: zones.map((z, i) => ({ value: [i], name: z.name })),
      renderItem: (params, apiR) => {
        const z = zones[params.dataIndex]
        const violated = bad.has(z.id)
        return {
          type: 'polygon',
          shape: { points: z.polygon.map((p) => apiR.coord(p)) },
          style: {
            fill: violated ? 'rgba(255,61,242,0.35)' : 'rgba(255,255,255,0.08)',
            stroke: violated ? '#ff3df2' : '#d0d8e0',
            lineWidth: violated ? 2.5 : 1,
            lineDash: violated ? null : [4, 3]
          }
        }
      }
    }
  }

  /** lon/lat → canvas pixels, from the geo's current view (it changes with pan and zoom). */
  const mapping = () => {
    const c = chart.chart
    const a = c.convertToPixel({ geoIndex: 0 }, [120, 31])
    const b = c.convertToPixel({ geoIndex: 0 }, [121, 32])
    if (!a || !b) return null
    const ax = b[0] - a[0]
    const ay = b[1] - a[1]
    return { ax, bx: a[0] - 120 * ax, ay, by: a[1] - 31 * ay }
  }

  const paint = frameThrottle(() => {
    if (!ready || disposed) return
    const t0 = performance.now()
    const m = mapping()
    if (!m) return
    const w = wrap.clientWidth
    const hgt = wrap.clientHeight
    const dpr = window.devicePixelRatio || 1
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(hgt * dpr)) {
      canvas.width = Math.round(w * dpr)
      canvas.height = Math.round(hgt * dpr)
      canvas.style.width = `${w}px`
      canvas.style.height = `${hgt}px`
    }
    const g = ctx2d
    g.setTransform(dpr, 0, 0, dpr, 0, 0)
    g.clearRect(0, 0, w, hgt)
    const n = bins.items.size + vehicles.items.size
    const xs = new Float32Array(n)
    const ys = new Float32Array(n)
    const ref = new Array(n)
    let k = 0
    // Bins: one path per fill class, so the fill style changes five times per paint.
    const byClass = FILL_CLASSES.map(() => [])
    for (const b of bins.items.values()) byClass[fillClass(b.fillPct)].push(b)
    byClass.forEach((list, ci) => {
      g.beginPath()
      for (const b of list) {
        const x = m.ax * b.lon + m.bx
        const y = m.ay * b.lat + m.by
        g.moveTo(x + 2.2, y)
        g.arc(x, y, 2.2, 0, 2 * Math.PI)
        xs[k] = x
        ys[k] = y
        ref[k++] = b
      }
      g.fillStyle = FILL_CLASSES[ci].color
      g.fill()
    })
    // Trucks: an arrowhead turned to the heading (0° = north, clockwise).
    let violations = 0
    for (const v of vehicles.items.values()) {
      if (v.lat === null || v.lon === null) continue
      const x = m.ax * v.lon + m.bx
      const y = m.ay * v.lat + m.by
      const cls = truckClass(v)
      if (cls === 3) violations++
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
      g.fillStyle = TRUCK_CLASSES[cls].color
      g.fill()
      if (cls === 3) {
        g.lineWidth = 1
        g.strokeStyle = '#ffffff'
        g.stroke()
      }
      xs[k] = x
      ys[k] = y
      ref[k++] = v
    }
    g.setTransform(dpr, 0, 0, dpr, 0, 0)
    hits = { x: xs.subarray(0, k), y: ys.subarray(0, k), ref }
    fill(
      counts,
      t('map.counts', {
        bins: i18n.int(bins.items.size),
        trucks: i18n.int(vehicles.items.size),
        violations: i18n.int(violations)
      })
    )
    wrap.dataset.bins = String(bins.items.size)
    wrap.dataset.trucks = String(vehicles.items.size)
    wrap.dataset.violations = String(violations)
    wrap.dataset.painted = String(k)
    stats.renders++
    stats.renderMs += performance.now() - t0
  })

  let zonesKey = ''
  const update = () => {
    if (!ready || disposed) return
    const key = [...violatingZones()].sort().join('|')
    if (key !== zonesKey && zones.length > 0) {
      zonesKey = key
      chart.setOption({ series: [zoneSeries()] })
    }
    paint()
  }

  const describe = (x) => {
    if ('binId' in x)
      return t('map.bin', {
        id: x.binId,
        stream: i18n.stream(x.stream),
        fill: x.fillPct === null ? t('map.noData') : i18n.pct(x.fillPct)
      })
    return t('map.truck', { plate: x.plate, type: x.type, speed: i18n.num(x.speedKmh), state: t(`vstate.${x.state}`) })
  }
  const onMove = (ev) => {
    const px = ev.offsetX
    const py = ev.offsetY
    let best = -1
    let bestD = HIT_PX * HIT_PX
    // Trucks are painted last (on top): prefer them on a tie by scanning backwards.
    for (let i = hits.x.length - 1; i >= 0; i--) {
      const dx = hits.x[i] - px
      const dy = hits.y[i] - py
      const d = dx * dx + dy * dy
      if (d < bestD) {
        bestD = d
        best = i
      }
    }
    if (best < 0) return false
    fill(tip, describe(hits.ref[best]))
    tip.hidden = false
    tip.style.left = `${Math.min(px + 12, wrap.clientWidth - 260)}px`
    tip.style.top = `${py + 12}px`
    return true
  }

  const setup = async () => {
    const [, z, c] = await Promise.all([loadDistricts(), loadZones(api), chart.ready])
    if (disposed || !c) return
    zones = z ?? []
    if (z === null) fill(zoneNote, t('map.zonesUnavailable'))
    c.setOption({
      animation: false,
      backgroundColor: '#0f1923',
      tooltip: {
        trigger: 'item',
        // Plain text: the CSP refuses ECharts' default inline-styled markers.
        formatter: (p) => (p.seriesId === 'zones' ? p.name : p.name ? i18n.district(p.name) : '')
      },
      geo: {
        map: MAP,
        roam: true,
        // Square degrees would stretch east-west at 31.5° N; cos(31.5°) ≈ 0.85.
        aspectScale: 0.85,
        layoutCenter: ['50%', '50%'],
        layoutSize: '95%',
        label: { show: true, color: '#8fa3b8', fontSize: 13, formatter: (p) => i18n.district(p.name) },
        itemStyle: { areaColor: '#182634', borderColor: '#4b6784', borderWidth: 1 },
        emphasis: { itemStyle: { areaColor: '#20344a' }, label: { color: '#d8e4f0' } },
        select: { disabled: true }
      },
      series: [zoneSeries()]
    })
    zonesKey = [...violatingZones()].sort().join('|')
    // After a pan or zoom ECharts re-renders the geo; repaint the points on the next frame.
    c.on('georoam', () => requestAnimationFrame(paint))
    c.getZr().on('mousemove', (ev) => {
      if (!onMove(ev)) tip.hidden = true
    })
    c.getZr().on('globalout', () => {
      tip.hidden = true
    })
    window.addEventListener('resize', paint)
    ready = true
    update()
  }
  setup().catch((err) => fill(counts, t('error', { msg: err.message })))

  const stops = [
    live.subscribe('bins', undefined, {
      snapshot: (d) => {
        bins.snapshot(d)
        update()
      },
      delta: (d) => {
        bins.delta(d)
        update()
      }
    }),
    live.subscribe('vehicles', undefined, {
      snapshot: (d) => {
        vehicles.snapshot(d)
        update()
      },
      delta: (d) => {
        vehicles.delta(d)
        update()
      }
    })
  ]
  return {
    unmount() {
      disposed = true
      window.removeEventListener('resize', paint)
      for (const s of stops) s()
      chart.dispose()
    },
    /** For the browser test and the benchmark. */
    debug: { bins, vehicles, stats, chart, hits: () => hits }
  }
}
/* global performance */
