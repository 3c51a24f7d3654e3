// Map data: Wuxi's district outlines (served from /data, WGS-84) registered with ECharts once
// per page load, and the restricted zones from the registry.
//
// Datum: the outlines, bins and vehicles are all WGS-84, so nothing is converted here. A
// GCJ-02 base map (AMap/Tencent tiles, which Chinese law requires for published maps) would
// need our points converted with gcoord (gcoord.transform([lon, lat], gcoord.WGS84,
// gcoord.GCJ02)) before they are drawn on it — about 440 m east and 215 m north around Wuxi.
import type { Api } from '../api.ts'

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
