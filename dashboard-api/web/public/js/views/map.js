// Map without external tiles: Wuxi's district outlines (served from /data, WGS-84) as an
// ECharts geo map, bins coloured by fill, trucks moving live, restricted zones with the ones
// holding a violating truck highlighted.
//
// Datum: the outlines, bins and vehicles are all WGS-84, so nothing is converted here. A
// GCJ-02 base map (AMap/Tencent tiles, which Chinese law requires for published maps) would
// need our points converted with gcoord (gcoord.transform([lon, lat], gcoord.WGS84,
// gcoord.GCJ02)) before they are drawn on it — about 440 m east and 215 m north around Wuxi.
//
// Speed: bins and vehicles live in Maps keyed by id; a delta upserts its items there and marks
// the map dirty; at most once per animation frame the two scatter series get their data as
// flat arrays (setOption merges by series id, so the geo layer and zones are not rebuilt).
/* global echarts, fetch */
import { createCollection } from '../live.js'
import { fill, frameThrottle, h } from '../dom.js'
import { createChart } from './charts.js'

const MAP = 'wuxi'
const TRUCK = 'path://M0,-10 L6,8 L0,4 L-6,8 Z'
const FILL_PIECES = [
  { value: -1, color: '#6b7785', key: 'map.noData' },
  { gte: 0, lt: 50, color: '#2fb47d', label: '< 50 %' },
  { gte: 50, lt: 80, color: '#c7c93c', label: '50–80 %' },
  { gte: 80, lt: 100, color: '#e39a2b', label: '80–100 %' },
  { gte: 100, color: '#e0413a', label: '≥ 100 %' }
]
const TRUCK_COLORS = { moving: '#4fc3f7', idle: '#9aa7b4', offline: '#505a66', 'no-data': '#505a66', violation: '#ff3df2' }

let districtsPromise = null
/** The outlines are fetched and registered once per page load. */
function loadDistricts() {
  districtsPromise ??= fetch('/data/wuxi-districts.json').then((r) => {
    if (!r.ok) throw new Error(`districts: HTTP ${r.status}`)
    return r.json()
  }).then((geo) => {
    echarts.registerMap(MAP, geo)
    return geo
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
  const chartEl = h('div.map#map')
  fill(el,
    h('div.toolbar', null, h('h2', null, t('nav.map')), counts, zoneNote,
      h('span.legend', null, ['moving', 'idle', 'offline', 'violation'].map((k) => h(`span.legend-item.truck-${k}`, null, t(`map.legend.${k}`))))),
    chartEl,
    h('p.attribution#map-attribution', null, t('map.attribution')))
  const { chart, dispose } = createChart(chartEl)
  let zones = []
  let ready = false
  let disposed = false

  const binData = () => {
    const out = new Array(bins.items.size)
    let i = 0
    for (const b of bins.items.values()) out[i++] = [b.lon, b.lat, b.fillPct ?? -1, b.binId, b.stream]
    return out
  }
  const truckData = () => {
    const out = []
    for (const v of vehicles.items.values()) {
      if (v.lat === null || v.lon === null) continue
      const violating = v.zoneWindowViolation || v.speeding
      out.push({ value: [v.lon, v.lat, v.speedKmh ?? 0, v.vehicleId], symbolRotate: -(v.headingDeg ?? 0), itemStyle: { color: violating ? TRUCK_COLORS.violation : TRUCK_COLORS[v.state] }, v })
    }
    return out
  }
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
      silent: false,
      z: 3,
      data: zones.map((z, i) => ({ value: [i], name: z.name, violated: bad.has(z.id) })),
      renderItem: (params, apiR) => {
        const z = zones[params.dataIndex]
        const violated = bad.has(z.id)
        return {
          type: 'polygon',
          shape: { points: z.polygon.map((p) => apiR.coord(p)) },
          style: { fill: violated ? 'rgba(255,61,242,0.35)' : 'rgba(255,255,255,0.08)', stroke: violated ? '#ff3df2' : '#d0d8e0', lineWidth: violated ? 2.5 : 1, lineDash: violated ? null : [4, 3] }
        }
      }
    }
  }

  let zonesKey = ''
  const render = frameThrottle(() => {
    if (!ready || disposed) return
    const series = [
      { id: 'bins', data: binData() },
      { id: 'trucks', data: truckData() }
    ]
    const key = [...violatingZones()].sort().join('|')
    if (key !== zonesKey && zones.length > 0) {
      zonesKey = key
      series.push(zoneSeries())
    }
    chart.setOption({ series })
    let violations = 0
    for (const v of vehicles.items.values()) if (v.zoneWindowViolation || v.speeding) violations++
    fill(counts, t('map.counts', { bins: i18n.int(bins.items.size), trucks: i18n.int(vehicles.items.size), violations: i18n.int(violations) }))
  })

  const setup = async () => {
    const [, z] = await Promise.all([loadDistricts(), loadZones(api)])
    if (disposed) return
    zones = z ?? []
    if (z === null) fill(zoneNote, t('map.zonesUnavailable'))
    chart.setOption({
      animation: false,
      backgroundColor: '#0f1923',
      tooltip: {
        trigger: 'item',
        // Plain text: the CSP refuses ECharts' default inline-styled markers.
        formatter: (p) => {
          if (p.seriesId === 'bins') {
            const [, , fillPct, id, stream] = p.value
            return t('map.bin', { id, stream: i18n.stream(stream), fill: fillPct < 0 ? t('map.noData') : i18n.pct(fillPct) })
          }
          if (p.seriesId === 'trucks') {
            const v = p.data.v
            return t('map.truck', { plate: v.plate, type: v.type, speed: i18n.num(v.speedKmh), state: t(`vstate.${v.state}`) })
          }
          return p.name ? (p.seriesId === 'zones' ? p.name : i18n.district(p.name)) : ''
        }
      },
      geo: {
        map: MAP,
        roam: true,
        // Square degrees would stretch east-west at 31.5° N; cos(31.5°) ≈ 0.85.
        aspectScale: 0.85,
        layoutCenter: ['50%', '50%'],
        layoutSize: '95%',
        label: { show: true, color: '#8fa3b8', fontSize: 12, formatter: (p) => i18n.district(p.name) },
        itemStyle: { areaColor: '#182634', borderColor: '#4b6784', borderWidth: 1 },
        emphasis: { itemStyle: { areaColor: '#20344a' }, label: { color: '#d8e4f0' } },
        select: { disabled: true }
      },
      visualMap: {
        type: 'piecewise',
        seriesIndex: 0,
        dimension: 2,
        left: 12,
        bottom: 12,
        textStyle: { color: '#c9d4e0' },
        text: [t('map.fill')],
        pieces: FILL_PIECES.map(({ key, ...p }) => (key ? { ...p, label: t(key) } : p))
      },
      series: [
        { id: 'bins', name: t('map.bins'), type: 'scatter', coordinateSystem: 'geo', symbolSize: 4, z: 4, large: false, progressive: 0, data: [] },
        { id: 'trucks', name: t('map.trucks'), type: 'scatter', coordinateSystem: 'geo', symbol: TRUCK, symbolSize: 11, z: 5, progressive: 0, data: [] },
        zoneSeries()
      ]
    })
    ready = true
    render()
  }
  setup().catch((err) => fill(counts, t('error', { msg: err.message })))

  const stops = [
    live.subscribe('bins', undefined, { snapshot: (d) => { bins.snapshot(d); render() }, delta: (d) => { bins.delta(d); render() } }),
    live.subscribe('vehicles', undefined, { snapshot: (d) => { vehicles.snapshot(d); render() }, delta: (d) => { vehicles.delta(d); render() } })
  ]
  return {
    unmount() {
      disposed = true
      for (const s of stops) s()
      dispose()
    },
    /** For the browser test and the benchmark. */
    debug: { bins, vehicles, chart }
  }
}
