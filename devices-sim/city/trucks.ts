// Collection rounds: each truck serves the bins of its district and stream, in nearest-neighbour
// order from its depot (the district's transfer station), then tips where its stream goes —
// transfer stations for household streams, sorting centres for recyclables.
import type { Material, Stream } from '../../contracts/device/index.ts'
import type { Bin, Location, Registry, Site, Vehicle, VehicleType } from '../../contracts/registry.ts'
import { distanceM, offset } from './geo.ts'
import { between, intBetween, pickWeighted, rngFor, type Rng } from './rng.ts'
import { HOUR, MINUTE, type Emptying, type Segment, type Ticket, type TruckPlan } from './types.ts'

/** Which bins a truck type empties; bulky and transfer trucks serve none. */
const BIN_STREAM: Partial<Record<VehicleType, Bin['stream']>> = {
  compactor: 'residual',
  kitchen: 'kitchen',
  recyclable: 'recyclable',
  hazardous: 'hazardous'
}
export const TICKET_STREAM: Record<VehicleType, Stream> = {
  compactor: 'residual',
  kitchen: 'kitchen',
  recyclable: 'recyclable',
  hazardous: 'hazardous',
  bulky: 'bulky',
  transfer: 'residual'
}
/** Trip start windows (local hours) per truck type: kitchen waste at night and twice by day, residual before the morning rush and after the evening peak builds. */
const TRIPS: Record<VehicleType, readonly (readonly [number, number])[]> = {
  compactor: [
    [5.5, 6.5],
    [15.5, 16.5]
  ],
  // Night runs in the old towns (the sample's zones allow kitchen trucks only at night).
  kitchen: [
    [1, 2],
    [8, 9],
    [14, 15]
  ],
  recyclable: [[9, 11]],
  hazardous: [[13, 14]],
  bulky: [[10, 12]],
  transfer: []
}
const LOAD_KG: Record<VehicleType, readonly [number, number]> = {
  compactor: [3000, 8000],
  kitchen: [1500, 4000],
  recyclable: [800, 2500],
  hazardous: [100, 600],
  bulky: [1000, 3000],
  transfer: [12000, 18000]
}
const TARE_KG: Record<VehicleType, readonly [number, number]> = {
  compactor: [9000, 11000],
  kitchen: [7000, 9000],
  recyclable: [5000, 7000],
  hazardous: [4000, 6000],
  bulky: [8000, 10000],
  transfer: [15000, 17000]
}
export const MATERIAL_SHARES: readonly (readonly [Material, number])[] = [
  ['paper', 38],
  ['plastic', 20],
  ['glass', 10],
  ['steel', 10],
  ['aluminium', 5],
  ['textile', 5],
  ['copper', 2],
  ['e-waste', 3],
  ['wood', 3],
  ['other', 4]
]
const ROAD_FACTOR = 1.35
const ROUND_CUTOFF_H = 21.5
const BIN_STOP_MS = 90_000
const SITE_STOP_MS = 12 * MINUTE
/** The weigh-in happens this long after the truck reaches the site. */
export const WEIGH_AFTER_MS = 2 * MINUTE

export function tareOf(seed: number, plate: string, type: VehicleType): number {
  const [lo, hi] = TARE_KG[type]
  return intBetween(rngFor(seed, 'tare', plate), lo, hi)
}

function nearest<T extends { location: Location }>(from: Location, items: readonly T[]): T | undefined {
  let best: T | undefined
  let bestD = Infinity
  for (const it of items) {
    const d = distanceM(from, it.location)
    if (d < bestD) [best, bestD] = [it, d]
  }
  return best
}

/** Where a truck of this district tips: a site of the right type, in the district when there is one. */
export function destination(
  sites: readonly Site[],
  district: string,
  type: Site['type'],
  near: Location
): Site | undefined {
  const ofType = sites.filter((s) => s.type === type)
  const local = ofType.filter((s) => s.district === district)
  return nearest(near, local.length > 0 ? local : ofType)
}

export function depotOf(registry: Registry, v: Vehicle): Location {
  const site =
    destination(registry.sites, v.district, 'transfer', registry.sites[0]?.location ?? { lat: 31.57, lon: 120.3 }) ??
    destination(registry.sites, v.district, 'sorting', { lat: 31.57, lon: 120.3 })
  return site?.location ?? { lat: 31.57, lon: 120.3 }
}

function orderRoute(start: Location, bins: readonly Bin[]): Bin[] {
  const left = [...bins]
  const out: Bin[] = []
  let at = start
  while (left.length > 0) {
    const next = nearest(at, left)!
    left.splice(left.indexOf(next), 1)
    out.push(next)
    at = next.location
  }
  return out
}

/** Bins assigned to each truck: round-robin over the district's trucks of the matching type. */
export function assignBins(registry: Registry): Map<string, Bin[]> {
  const out = new Map<string, Bin[]>()
  const groups = new Map<string, Vehicle[]>()
  for (const v of registry.vehicles) {
    const s = BIN_STREAM[v.type]
    if (!s) continue
    const k = `${v.district}|${s}`
    groups.set(k, [...(groups.get(k) ?? []), v])
    out.set(v.id, [])
  }
  let i = 0
  for (const b of registry.bins) {
    const trucks = groups.get(`${b.district}|${b.stream}`)
    if (!trucks) continue
    out.get(trucks[i++ % trucks.length]!.id)!.push(b)
  }
  return out
}

interface Leg {
  segments: Segment[]
  t: number
  at: Location
}

function drive(leg: Leg, to: Location, rng: Rng): void {
  const speedKmh = between(rng, 18, 35)
  const ms = Math.max(30_000, Math.round(((distanceM(leg.at, to) * ROAD_FACTOR) / 1000 / speedKmh) * HOUR))
  leg.segments.push({ kind: 'drive', t0: leg.t, t1: leg.t + ms, from: leg.at, to, speedKmh })
  leg.t += ms
  leg.at = to
}

function stop(leg: Leg, ms: number, extra: { binId?: string; siteId?: string } = {}): void {
  leg.segments.push({ kind: 'stop', t0: leg.t, t1: leg.t + ms, at: leg.at, ...extra })
  leg.t += ms
}

export interface Rounds {
  readonly plans: TruckPlan[]
  readonly inbound: Ticket[]
  readonly emptyings: Emptying[]
}

/** Collection rounds of every truck but the transfer haulers (those follow the outbound tickets). */
export function collectionRounds(registry: Registry, seed: number, dayStart: number): Rounds {
  const assigned = assignBins(registry)
  const plans: TruckPlan[] = []
  const inbound: Ticket[] = []
  const emptyings: Emptying[] = []
  for (const v of registry.vehicles) {
    if (v.type === 'transfer') continue
    const rng = rngFor(seed, 'truck', v.id)
    const depot = depotOf(registry, v)
    const bins = assigned.get(v.id) ?? []
    const siteType: Site['type'] = v.type === 'recyclable' ? 'sorting' : 'transfer'
    const leg: Leg = { segments: [], t: 0, at: depot }
    for (const [h0, h1] of TRIPS[v.type]) {
      const start = dayStart + Math.round(between(rng, h0, h1) * HOUR)
      if (start > leg.t) leg.t = start
      if (bins.length > 0) {
        for (const b of orderRoute(leg.at, bins)) {
          // A round that runs late leaves the rest for tomorrow: tickets stay inside the day.
          if (leg.t > dayStart + ROUND_CUTOFF_H * HOUR) break
          drive(leg, b.location, rng)
          emptyings.push({ binId: b.id, t: leg.t })
          stop(leg, BIN_STOP_MS, { binId: b.id })
        }
      } else {
        // Bulky pick-ups: somewhere in the district, a few kilometres out.
        drive(leg, offset(depot, between(rng, 1500, 6000), between(rng, 0, 360)), rng)
        stop(leg, 15 * MINUTE)
      }
      const site = destination(registry.sites, v.district, siteType, leg.at)
      if (!site) continue
      drive(leg, site.location, rng)
      const [lo, hi] = LOAD_KG[v.type]
      const netKg = intBetween(rng, lo, hi)
      const tareKg = tareOf(seed, v.plate, v.type)
      const stream = TICKET_STREAM[v.type]
      inbound.push({
        siteId: site.id,
        t: leg.t + WEIGH_AFTER_MS,
        direction: 'in',
        stream,
        plate: v.plate,
        grossKg: tareKg + netKg,
        tareKg,
        netKg,
        ...(stream === 'recyclable' ? { material: pickWeighted(rng, MATERIAL_SHARES) } : {})
      })
      stop(leg, SITE_STOP_MS, { siteId: site.id })
    }
    if (leg.segments.length > 0) {
      drive(leg, depot, rng)
      plans.push({ vehicleId: v.id, plate: v.plate, segments: leg.segments })
    }
  }
  inbound.sort((a, b) => a.t - b.t || a.siteId.localeCompare(b.siteId))
  return { plans, inbound, emptyings }
}
