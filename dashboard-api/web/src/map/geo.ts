// Map data: Wuxi's district outlines (served from /data, WGS-84) registered with ECharts once
// per page load, and the restricted zones from the registry.
//
// Datum: the outlines, bins and vehicles are all WGS-84, so nothing is converted here. A
// GCJ-02 base map (AMap/Tencent tiles, which Chinese law requires for published maps) would
// need our points converted with gcoord (gcoord.transform([lon, lat], gcoord.WGS84,
// gcoord.GCJ02)) before they are drawn on it — about 440 m east and 215 m north around Wuxi.
import type { Api } from '../api.ts'
import type { I18n } from '../i18n/index.ts'

export const MAP = 'wuxi'

export interface Zone {
  id: string
  name: string
  polygon: Array<[number, number]>
}

// One fetch per page load, shared by every mount of the map (a memo, not state: the outlines
// never change while the page is open).
let districts: Promise<unknown> | null = null

export function loadDistricts(): Promise<unknown> {
  districts ??= Promise.all([
    fetch('/data/wuxi-districts.json').then((r) => {
      if (!r.ok) throw new Error(`districts: HTTP ${r.status}`)
      return r.json() as Promise<unknown>
    }),
    import('../echarts.ts')
  ]).then(([geo, { echarts }]) => {
    echarts.registerMap(MAP, geo as Parameters<typeof echarts.registerMap>[1])
    return geo
  })
  districts.catch(() => {
    districts = null
  })
  return districts
}

/** Zones are registry data; a viewer route may not exist yet, the admin one needs the admin role. */
export async function loadZones(api: Api | null): Promise<Zone[] | null> {
  if (!api) return null
  for (const path of ['/zones', '/admin/zones']) {
    try {
      return await api.get<Zone[]>(path)
    } catch {
      // try the next
    }
  }
  return null
}

/** The static part of the map: the districts as an ECharts geo component (pan and zoom), labelled in the page's language. */
export function baseOption(L: I18n) {
  return {
    animation: false,
    backgroundColor: '#0f1923',
    tooltip: {
      trigger: 'item',
      // Plain text: the CSP refuses ECharts' default inline-styled markers.
      formatter: (p: { seriesId?: string; name?: string }) =>
        p.seriesId === 'zones' ? (p.name ?? '') : p.name ? L.district(p.name) : ''
    },
    geo: {
      map: MAP,
      roam: true,
      // Square degrees would stretch east-west at 31.5° N; cos(31.5°) ≈ 0.85.
      aspectScale: 0.85,
      layoutCenter: ['50%', '50%'],
      layoutSize: '95%',
      label: { show: true, color: '#8fa3b8', fontSize: 13, formatter: (p: { name: string }) => L.district(p.name) },
      itemStyle: { areaColor: '#182634', borderColor: '#4b6784', borderWidth: 1 },
      emphasis: { itemStyle: { areaColor: '#20344a' }, label: { color: '#d8e4f0' } },
      select: { disabled: true }
    }
  }
}

/** Restricted zones, the ones holding a truck outside its window (`bad`) highlighted; none when hidden. */
export function zoneSeries(zones: readonly Zone[], bad: ReadonlySet<string>, name: string, show: boolean) {
  return {
    id: 'zones',
    name,
    type: 'custom',
    coordinateSystem: 'geo',
    data: show ? zones.map((z, i) => ({ value: [i], name: z.name })) : [],
    renderItem: (params: { dataIndex: number }, apiR: { coord(p: [number, number]): number[] }) => {
      const z = zones[params.dataIndex]!
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
