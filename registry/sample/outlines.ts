// The committed WGS-84 district outlines (wuxi-districts.json), as polygons per district.
import districtsJson from './wuxi-districts.json' with { type: 'json' }
import { District } from '../../contracts/registry.ts'
import type { Polygon } from './geo.ts'

export type Outlines = ReadonlyMap<District, readonly Polygon[]>

interface FeatureLike {
  properties: { name: string }
  geometry: { type: string; coordinates: unknown }
}

export function outlinesFrom(fc: { features: readonly FeatureLike[] }): Outlines {
  const out = new Map<District, Polygon[]>()
  for (const f of fc.features) {
    const name = District.parse(f.properties.name)
    const polys =
      f.geometry.type === 'Polygon' ? [f.geometry.coordinates as Polygon] : (f.geometry.coordinates as Polygon[])
    out.set(name, [...(out.get(name) ?? []), ...polys])
  }
  for (const d of District.options) if (!out.has(d)) throw new Error(`no outline for district ${d}`)
  return out
}

export const WUXI_OUTLINES: Outlines = outlinesFrom(districtsJson as { features: FeatureLike[] })
