// Outbound: transfer stations ship to disposal when a stream's stock fills a hauler, and clear
// what is left in the late evening (日收日清); sorting centres bale by material and ship lots,
// with the sorting residue going out as residual. A site picked as "not clearing" stops
// shipping in the afternoon and skips the evening clearance, so it ends the day with stock.
import type { Material, Stream } from '../../contracts/device/index.ts'
import type { Registry, Site } from '../../contracts/registry.ts'
import { distanceM, offset } from './geo.ts'
import { between, intBetween, rngFor } from './rng.ts'
import { tareOf } from './trucks.ts'
import { HOUR, MINUTE, type Segment, type Ticket, type TruckPlan } from './types.ts'

const HAULER_THRESHOLD_KG = 12_000
const HAULER_MAX_KG = 18_000
const BALE_LOT_KG = 3_000
const NOT_CLEARING_STOP_H = 15
const CLEARANCE_START_H = 22
const LAST_TICKET_H = 23.75

/** The sites that will not clear today: a seeded pick of `count`. */
export function pickNotClearing(sites: readonly Site[], seed: number, count: number): Set<string> {
  const rng = rngFor(seed, 'not-clearing')
  const ids = sites.map((s) => s.id)
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    ;[ids[i], ids[j]] = [ids[j]!, ids[i]!]
  }
  return new Set(ids.slice(0, Math.max(0, Math.min(count, ids.length))))
}

interface Shipment {
  siteId: string
  t: number
  stream: Stream
  material?: Material
  netKg: number
}

function shipmentsOf(
  site: Site,
  inbound: readonly Ticket[],
  dayStart: number,
  seed: number,
  clears: boolean
): Shipment[] {
  const rng = rngFor(seed, 'ship', site.id)
  const out: Shipment[] = []
  const stock = new Map<string, number>()
  const key = (stream: Stream, material?: Material): string => `${stream}|${material ?? ''}`
  const unkey = (k: string): { stream: Stream; material?: Material } => {
    const [stream, material] = k.split('|') as [Stream, string]
    return material ? { stream, material: material as Material } : { stream }
  }
  const yieldShare = between(rng, 0.86, 0.95)
  const stopAt = dayStart + NOT_CLEARING_STOP_H * HOUR
  for (const tk of inbound) {
    if (site.type === 'sorting' && tk.material) {
      const bales = Math.round(tk.netKg * yieldShare)
      stock.set(key('recyclable', tk.material), (stock.get(key('recyclable', tk.material)) ?? 0) + bales)
      stock.set(key('residual'), (stock.get(key('residual')) ?? 0) + tk.netKg - bales)
    } else {
      stock.set(key(tk.stream, tk.material), (stock.get(key(tk.stream, tk.material)) ?? 0) + tk.netKg)
    }
    if (!clears && tk.t >= stopAt) continue
    for (const [k, kg] of stock) {
      const { stream, material } = unkey(k)
      const threshold = site.type === 'sorting' ? (material ? BALE_LOT_KG : Infinity) : HAULER_THRESHOLD_KG
      if (kg < threshold) continue
      const net = Math.min(kg, HAULER_MAX_KG)
      stock.set(k, kg - net)
      out.push({
        siteId: site.id,
        t: Math.min(tk.t + Math.round(between(rng, 20, 40) * MINUTE), dayStart + LAST_TICKET_H * HOUR),
        stream,
        ...(material ? { material } : {}),
        netKg: net
      })
    }
  }
  if (clears) {
    let t = dayStart + CLEARANCE_START_H * HOUR + Math.round(between(rng, 0, 20) * MINUTE)
    for (const [k, kg] of [...stock].sort(([a], [b]) => a.localeCompare(b))) {
      for (let left = kg; left > 0; left -= HAULER_MAX_KG) {
        out.push({
          siteId: site.id,
          t: Math.min(t, dayStart + LAST_TICKET_H * HOUR),
          ...unkey(k),
          netKg: Math.min(left, HAULER_MAX_KG)
        })
        t += intBetween(rng, 4, 12) * MINUTE
      }
    }
  }
  return out.sort((a, b) => a.t - b.t)
}

/** The disposal plant a station's haulers drive to: a fixed point some km out, per site. */
function plantOf(site: Site, seed: number): { lat: number; lon: number } {
  const rng = rngFor(seed, 'plant', site.id)
  return offset(site.location, between(rng, 6000, 12000), between(rng, 0, 360))
}

export interface Outbound {
  readonly tickets: Ticket[]
  readonly plans: TruckPlan[]
}

/**
 * Outbound tickets of every site, and the haulers' days: a transfer-type truck of the district
 * takes a shipment when it is free (it comes from the plant, weighs out, drives back); when none
 * is free a contractor's truck without a tracker does (a synthetic plate).
 */
export function outbound(
  registry: Registry,
  inbound: readonly Ticket[],
  dayStart: number,
  seed: number,
  notClearing: ReadonlySet<string>
): Outbound {
  const bySite = new Map<string, Ticket[]>()
  for (const t of inbound) bySite.set(t.siteId, [...(bySite.get(t.siteId) ?? []), t])
  const haulers = registry.vehicles.filter((v) => v.type === 'transfer')
  const busyUntil = new Map<string, number>(haulers.map((h) => [h.id, 0]))
  const segments = new Map<string, Segment[]>(haulers.map((h) => [h.id, []]))
  const tickets: Ticket[] = []
  const all: Shipment[] = []
  for (const site of registry.sites) {
    all.push(...shipmentsOf(site, bySite.get(site.id) ?? [], dayStart, seed, !notClearing.has(site.id)))
  }
  all.sort((a, b) => a.t - b.t || a.siteId.localeCompare(b.siteId))
  let contractor = 0
  for (const s of all) {
    const site = registry.sites.find((x) => x.id === s.siteId)!
    const plant = plantOf(site, seed)
    const rng = rngFor(seed, 'haul', s.siteId, s.t)
    const driveMs = Math.round(((distanceM(plant, site.location) * 1.35) / 1000 / between(rng, 30, 50)) * HOUR)
    const arrive = s.t - 5 * MINUTE
    const leave = arrive - driveMs
    const back = s.t + 5 * MINUTE + driveMs
    const free =
      site.type === 'transfer'
        ? [...haulers]
            .sort((a, b) => Number(b.district === site.district) - Number(a.district === site.district))
            .find((h) => busyUntil.get(h.id)! <= leave)
        : undefined
    let plate: string
    if (free) {
      plate = free.plate
      busyUntil.set(free.id, back + 10 * MINUTE)
      segments
        .get(free.id)!
        .push(
          { kind: 'drive', t0: leave, t1: arrive, from: plant, to: site.location, speedKmh: 40 },
          { kind: 'stop', t0: arrive, t1: s.t + 5 * MINUTE, at: site.location, siteId: site.id },
          { kind: 'drive', t0: s.t + 5 * MINUTE, t1: back, from: site.location, to: plant, speedKmh: 40 },
          { kind: 'stop', t0: back, t1: back + 10 * MINUTE, at: plant }
        )
    } else {
      // 苏B + S/T + four digits: a valid plate outside the registered fleet.
      plate = `苏B${site.type === 'sorting' ? 'S' : 'T'}${String(1 + (contractor++ % 9999)).padStart(4, '0')}`
    }
    const tareKg = tareOf(seed, plate, 'transfer')
    tickets.push({
      siteId: s.siteId,
      t: s.t,
      direction: 'out',
      stream: s.stream,
      ...(s.material ? { material: s.material } : {}),
      plate,
      grossKg: tareKg + s.netKg,
      tareKg,
      netKg: s.netKg
    })
  }
  const plans = haulers
    .filter((h) => segments.get(h.id)!.length > 0)
    .map((h) => ({ vehicleId: h.id, plate: h.plate, segments: segments.get(h.id)! }))
  return { tickets, plans }
}
