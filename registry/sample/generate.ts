// The synthetic Wuxi sample registry: invented sites, bins, vehicles and devices placed inside
// the real district outlines. `generateSample` is pure and seeded; wuxi.json is its output for
// seed 1 and a test keeps the two identical.
import { fileURLToPath } from 'node:url'
import type {
  Bin,
  BinStream,
  Device,
  District,
  LonLat,
  Location,
  Registry,
  Site,
  Targets,
  Vehicle,
  VehicleType,
  Zone,
  ZoneWindow
} from '../../contracts/registry.ts'
import { writeFileAtomic } from '../../lib/atomic.ts'
import { formatRegistry } from '../load.ts'
import { distanceToBoundaryM, pointInAny } from './geo.ts'
import type { Polygon } from './geo.ts'
import { WUXI_OUTLINES } from './outlines.ts'
import type { Outlines } from './outlines.ts'
import { DISTRICTS } from './places.ts'
import type { DistrictInfo, Place } from './places.ts'
import { approxNormal, intBetween, mulberry32, pickWeighted } from '../../lib/prng.ts'
import type { Rng } from '../../lib/prng.ts'

export const SAMPLE_PATH = fileURLToPath(new URL('./wuxi.json', import.meta.url))
export const DISTRICTS_PATH = fileURLToPath(new URL('./wuxi-districts.json', import.meta.url))
export const DEFAULT_SEED = 1

export const SAMPLE_NOTICE =
  '合成样例数据：站点、垃圾桶、车辆和设备均为虚构，仅按无锡真实行政区边界合理分布，并非真实设施。' +
  ' Synthetic sample data: the sites, bins, vehicles and devices are invented, placed plausibly inside' +
  " Wuxi's real district outlines; they are not real facilities."

export const SAMPLE_SIZES = { bins: 2400, vehicles: 320 } as const

/** Transfer stations and sorting centres per district: 26 and 22 in all. */
const SITES_PER_DISTRICT: Record<District, { transfer: number; sorting: number }> = {
  梁溪: { transfer: 4, sorting: 3 },
  锡山: { transfer: 3, sorting: 3 },
  惠山: { transfer: 3, sorting: 3 },
  滨湖: { transfer: 3, sorting: 2 },
  新吴: { transfer: 3, sorting: 3 },
  江阴: { transfer: 4, sorting: 3 },
  宜兴: { transfer: 4, sorting: 3 },
  经开区: { transfer: 2, sorting: 2 }
}

/** The sample city's daily target, t: about what its simulated day collects. */
export const SAMPLE_DAILY_TARGET_T = 2100

// Mean about 280 t/day: 26 stations give some 7,000 t/day, sized for Wuxi's 5,300 t/day.
const TRANSFER_CAPACITY: readonly (readonly [number, number])[] = [
  [100, 2],
  [150, 3],
  [200, 4],
  [250, 4],
  [300, 3],
  [350, 2],
  [400, 2],
  [450, 1],
  [500, 1],
  [600, 1]
]
/** Stations this big run a second weighbridge lane. */
const SECOND_WEIGHBRIDGE_FROM_TPD = 400

const STREAMS: readonly (readonly [BinStream, number])[] = [
  ['residual', 38],
  ['kitchen', 32],
  ['recyclable', 22],
  ['hazardous', 8]
]
const BIN_LITRES: Record<BinStream, readonly (readonly [number, number])[]> = {
  residual: [
    [240, 3],
    [660, 2]
  ],
  kitchen: [
    [120, 1],
    [240, 3]
  ],
  recyclable: [
    [240, 2],
    [660, 1]
  ],
  hazardous: [
    [60, 1],
    [120, 2]
  ]
}
const VEHICLE_TYPES: readonly (readonly [VehicleType, number])[] = [
  ['compactor', 40],
  ['kitchen', 22],
  ['recyclable', 14],
  ['hazardous', 4],
  ['bulky', 8],
  ['transfer', 12]
]

// Wuxi lies near 31.5°N; fixed factors keep the generator free of trigonometry.
const KM_PER_DEG_LAT = 110.574
const KM_PER_DEG_LON = 94.93
/** Points keep this far from a district edge, so simplified outlines still contain them. */
export const EDGE_MARGIN_M = 150
const MAX_TRIES = 20_000

const round6 = (x: number) => Math.round(x * 1e6) / 1e6
const pad = (n: number, width: number) => String(n).padStart(width, '0')

function locate(rng: Rng, place: Place, sigmaKm: number, polygons: readonly Polygon[], what: string): Location {
  for (let i = 0; i < MAX_TRIES; i++) {
    const lon = round6(place.lon + (approxNormal(rng) * sigmaKm) / KM_PER_DEG_LON)
    const lat = round6(place.lat + (approxNormal(rng) * sigmaKm) / KM_PER_DEG_LAT)
    if (pointInAny(lon, lat, polygons) && distanceToBoundaryM(lon, lat, polygons) >= EDGE_MARGIN_M) return { lat, lon }
  }
  throw new Error(`${what}: no point inside the district near ${place.name} after ${MAX_TRIES} tries`)
}

const placeSigmaKm = (place: Place) => 0.6 + 0.25 * place.weight

function placesByWeight(d: DistrictInfo): readonly (readonly [Place, number])[] {
  return d.places.map((p) => [p, p.weight] as const)
}

/** Distinct places for the district's sites, the busier places first in line. */
function sitePlaces(rng: Rng, d: DistrictInfo, n: number): Place[] {
  const pool = [...d.places]
  const chosen: Place[] = []
  while (chosen.length < n) {
    if (pool.length === 0) pool.push(...d.places.filter((p) => !chosen.includes(p)))
    const place = pickWeighted(
      rng,
      pool.map((p) => [p, p.weight] as const)
    )
    pool.splice(pool.indexOf(place), 1)
    chosen.push(place)
  }
  return chosen
}

/** Splits `total` over the districts by share; the last district absorbs the rounding. */
function apportion(total: number): Map<District, number> {
  const out = new Map<District, number>()
  let assigned = 0
  DISTRICTS.forEach((d, i) => {
    const n = i === DISTRICTS.length - 1 ? total - assigned : Math.round(total * d.share)
    out.set(d.name, n)
    assigned += n
  })
  return out
}

const PLATE_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ'
const DIGITS = '0123456789'

/** 苏B + 5 characters, mostly digits, as on Wuxi's (苏B) plates. */
function plate(rng: Rng, used: Set<string>): string {
  for (;;) {
    let s = '苏B'
    for (let i = 0; i < 5; i++) {
      const letter = rng() < (i === 0 ? 0.35 : 0.08)
      const alphabet = letter ? PLATE_LETTERS : DIGITS
      s += alphabet[Math.floor(rng() * alphabet.length)]
    }
    if (!used.has(s)) {
      used.add(s)
      return s
    }
  }
}

/** A square of ±halfKm around a point, as a closed ring. */
function square(lon: number, lat: number, halfKm: number): LonLat[] {
  const dLon = round6(halfKm / KM_PER_DEG_LON)
  const dLat = round6(halfKm / KM_PER_DEG_LAT)
  const w = round6(lon - dLon),
    e = round6(lon + dLon),
    s = round6(lat - dLat),
    n = round6(lat + dLat)
  return [
    [w, s],
    [e, s],
    [e, n],
    [w, n],
    [w, s]
  ]
}

// Old towns and dense housing where collection trucks keep to hours (the plan's 分时段、分区域
// 准入): compactors and kitchen-waste trucks at night, recyclable and bulky-waste trucks by day;
// hazardous-waste and transfer trucks are not listed, so they are never allowed in.
const OLD_TOWN_WINDOWS: readonly ZoneWindow[] = [
  { vehicleTypes: ['compactor'], from: '22:00', to: '06:00' },
  { vehicleTypes: ['kitchen'], from: '21:00', to: '05:00' },
  { vehicleTypes: ['recyclable'], from: '09:00', to: '16:00' },
  { vehicleTypes: ['bulky'], from: '10:00', to: '15:00' }
]
const RESIDENTIAL_WINDOWS: readonly ZoneWindow[] = [
  { vehicleTypes: ['compactor', 'kitchen'], from: '20:00', to: '07:00' },
  { vehicleTypes: ['recyclable'], from: '08:00', to: '18:00' },
  { vehicleTypes: ['bulky', 'hazardous'], from: '09:00', to: '17:00' }
]
const SAMPLE_ZONES: readonly Zone[] = [
  {
    id: 'z-lx-chongan',
    name: '梁溪区崇安寺老城区',
    polygon: square(120.302, 31.58, 0.8),
    windows: [...OLD_TOWN_WINDOWS],
    speedLimitKmh: 30
  },
  {
    id: 'z-lx-qingmingqiao',
    name: '梁溪区清名桥历史街区',
    polygon: square(120.305, 31.56, 0.6),
    windows: [...OLD_TOWN_WINDOWS],
    speedLimitKmh: 30
  },
  {
    id: 'z-bh-rongxiang',
    name: '滨湖区荣巷历史街区',
    polygon: square(120.23, 31.565, 0.5),
    windows: [...OLD_TOWN_WINDOWS],
    speedLimitKmh: 30
  },
  {
    id: 'z-xw-wangzhuang',
    name: '新吴区旺庄居住区',
    polygon: square(120.37, 31.555, 1.0),
    windows: [...RESIDENTIAL_WINDOWS],
    speedLimitKmh: 40
  },
  {
    id: 'z-jy-chengjiang',
    name: '江阴市澄江老城区',
    polygon: square(120.285, 31.905, 0.8),
    windows: [...OLD_TOWN_WINDOWS],
    speedLimitKmh: 30
  }
]

/** Recovered tonnes per month: roughly the 22 sorting centres' output, paper and plastics first. */
const SAMPLE_TARGETS: Targets = {
  recyclablesMonthlyT: {
    steel: 3200,
    copper: 120,
    aluminium: 450,
    lead: 40,
    zinc: 30,
    paper: 9500,
    plastic: 5200,
    rubber: 400,
    glass: 2600,
    textile: 1300,
    wood: 1800,
    'e-waste': 260,
    battery: 25
  }
}

export function generateSample({ seed, outlines = WUXI_OUTLINES }: { seed: number; outlines?: Outlines }): Registry {
  const rng = mulberry32(seed)
  const sites: Site[] = []
  const bins: Bin[] = []
  const vehicles: Vehicle[] = []
  const weighbridges: Device[] = []
  const fillSensors: Device[] = []
  const trackers: Device[] = []
  const polygonsOf = (d: District) => outlines.get(d) ?? []

  for (const d of DISTRICTS) {
    const counts = SITES_PER_DISTRICT[d.name]
    const places = sitePlaces(rng, d, counts.transfer + counts.sorting)
    places.forEach((place, i) => {
      const transfer = i < counts.transfer
      const n = transfer ? i + 1 : i - counts.transfer + 1
      const id = `${transfer ? 'ts' : 'sc'}-${d.code}-${pad(n, 2)}`
      const capacityTpd = transfer ? pickWeighted(rng, TRANSFER_CAPACITY) : intBetween(rng, 3, 15) * 10
      sites.push({
        id,
        name: `${d.prefix}${place.name}${transfer ? '转运站' : '一体化收集分拣中心'}`,
        type: transfer ? 'transfer' : 'sorting',
        district: d.name,
        capacityTpd,
        location: locate(rng, place, 1.0, polygonsOf(d.name), id)
      })
      weighbridges.push({ id: `wb-${id}`, type: 'weighbridge', siteId: id, enabled: true })
      if (capacityTpd >= SECOND_WEIGHBRIDGE_FROM_TPD)
        weighbridges.push({ id: `wb-${id}-2`, type: 'weighbridge', siteId: id, enabled: true })
    })
  }

  const binCounts = apportion(SAMPLE_SIZES.bins)
  for (const d of DISTRICTS) {
    for (let n = 1; n <= (binCounts.get(d.name) ?? 0); n++) {
      const id = `bin-${d.code}-${pad(n, 4)}`
      const place = pickWeighted(rng, placesByWeight(d))
      const stream = pickWeighted(rng, STREAMS)
      bins.push({
        id,
        stream,
        district: d.name,
        location: locate(rng, place, placeSigmaKm(place), polygonsOf(d.name), id),
        capacityL: pickWeighted(rng, BIN_LITRES[stream])
      })
      fillSensors.push({ id: `fs-${d.code}-${pad(n, 4)}`, type: 'fill-sensor', binId: id, enabled: true })
    }
  }

  const vehicleCounts = apportion(SAMPLE_SIZES.vehicles)
  const plates = new Set<string>()
  for (const d of DISTRICTS) {
    for (let n = 1; n <= (vehicleCounts.get(d.name) ?? 0); n++) {
      const id = `veh-${d.code}-${pad(n, 3)}`
      vehicles.push({ id, plate: plate(rng, plates), type: pickWeighted(rng, VEHICLE_TYPES), district: d.name })
      trackers.push({ id: `gps-${d.code}-${pad(n, 3)}`, type: 'gps-tracker', vehicleId: id, enabled: true })
    }
  }

  return {
    version: 1,
    synthetic: true,
    notice: SAMPLE_NOTICE,
    // What this sample's 320 vehicles collect in a simulated day (devices-sim: about 2,180 t),
    // so the demo's target can be met; Wuxi itself produces about 5,300 t/day (README).
    city: { id: 'wuxi', name: '无锡', tz: 'Asia/Shanghai', dailyTargetT: SAMPLE_DAILY_TARGET_T },
    sites,
    bins,
    vehicles,
    devices: [...weighbridges, ...fillSensors, ...trackers],
    services: [],
    targets: SAMPLE_TARGETS,
    zones: SAMPLE_ZONES.map((z) => ({
      ...z,
      windows: z.windows.map((w) => ({ ...w, vehicleTypes: [...w.vehicleTypes] }))
    }))
  }
}

export function formatSample(seed: number): string {
  return formatRegistry(generateSample({ seed }))
}

/** Writes the sample for `seed` to `path` (no secrets in it: devices carry no token hash). */
export async function writeSample(path: string, seed: number = DEFAULT_SEED): Promise<Registry> {
  const registry = generateSample({ seed })
  await writeFileAtomic(path, formatRegistry(registry), 0o644)
  return registry
}
