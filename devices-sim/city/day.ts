// A city day: a pure, seeded model of the registry's trucks, bins, weighbridges and devices,
// asked for "everything that happened up to simulated instant t" (docs/conventions.md, rule 4: given `now`).
// Each device's messages come in time order with its own increasing seq; the same seed and date
// give the same day whatever steps the caller takes.
import type { DeviceMessage, Kind } from '../../contracts/device/index.ts'
import type { Device, Registry } from '../../contracts/registry.ts'
import { startOfLocalDay } from '../../lib/time.ts'
import { generators, localIso } from '../generators/index.ts'
import { binModel, type BinModel } from './bins.ts'
import { createHeap } from './heap.ts'
import { dutyWindow, positionAt } from './route.ts'
import { between, intBetween, rngFor, type Rng } from './rng.ts'
import { outbound, pickNotClearing } from './shipments.ts'
import { collectionRounds } from './trucks.ts'
import { DAY, DEFAULT_CITY_OPTIONS, type CityOptions, type Emptying, type Ticket, type TruckPlan } from './types.ts'

export interface SimEvent<K extends Kind = Kind> {
  readonly deviceId: string
  readonly kind: K
  /** Simulated event time, epoch ms. */
  readonly t: number
  readonly message: DeviceMessage[K]
}

export interface CityDay {
  readonly dayStart: number
  readonly dayEnd: number
  readonly tickets: readonly Ticket[]
  readonly plans: readonly TruckPlan[]
  readonly emptyings: readonly Emptying[]
  readonly bins: ReadonlyMap<string, BinModel>
  readonly notClearing: ReadonlySet<string>
  /** The devices the day drives (enabled, referring to a simulated site, bin or vehicle). */
  readonly devices: readonly Device[]
  /** Every event with t ≤ `simNow` not returned before, in time order. */
  until(simNow: number): SimEvent[]
  /** Time of the next event, or undefined when the day is over. */
  nextAt(): number | undefined
}

/** Entities named `load-…` belong to load mode (`sim provision`), not to the city. */
export const isLoadEntity = (id: string): boolean => id.startsWith('load-')

interface Source {
  next: number
  emit(t: number): { kind: Kind; message: DeviceMessage[Kind] } | undefined
  advance(t: number): number
}

const FIRMWARE: Record<Device['type'], string> = {
  weighbridge: 'wb-4.1.2',
  'fill-sensor': 'fs-2.3.1',
  'gps-tracker': 'gt-1.8.0'
}

export function createCityDay(
  registryIn: Registry,
  opts: Partial<CityOptions> & Pick<CityOptions, 'date' | 'tz' | 'seed'>
): CityDay {
  const o: CityOptions = { ...DEFAULT_CITY_OPTIONS, ...opts }
  const registry: Registry = {
    ...registryIn,
    sites: registryIn.sites.filter((s) => !isLoadEntity(s.id)),
    bins: registryIn.bins.filter((b) => !isLoadEntity(b.id)),
    vehicles: registryIn.vehicles.filter((v) => !isLoadEntity(v.id))
  }
  const dayStart = startOfLocalDay(o.date, o.tz)
  const dayEnd = dayStart + DAY
  const rounds = collectionRounds(registry, o.seed, dayStart)
  const notClearing = pickNotClearing(registry.sites, o.seed, o.notClearing)
  const out = outbound(registry, rounds.inbound, dayStart, o.seed, notClearing)
  const tickets = [...rounds.inbound, ...out.tickets].sort(
    (a, b) => a.t - b.t || a.siteId.localeCompare(b.siteId) || a.direction.localeCompare(b.direction)
  )
  const plans = [...rounds.plans, ...out.plans]
  const planOf = new Map(plans.map((p) => [p.vehicleId, p]))
  const emptiedBy = new Map<string, Emptying[]>()
  for (const e of rounds.emptyings) emptiedBy.set(e.binId, [...(emptiedBy.get(e.binId) ?? []), e])
  const bins = new Map(registry.bins.map((b) => [b.id, binModel(b, o.seed, dayStart, emptiedBy.get(b.id) ?? [])]))
  const siteIds = new Set(registry.sites.map((s) => s.id))
  const vehicleIds = new Set(registry.vehicles.map((v) => v.id))

  const devices = registry.devices.filter(
    (d) =>
      d.enabled &&
      ((d.siteId !== undefined && siteIds.has(d.siteId)) ||
        (d.binId !== undefined && bins.has(d.binId)) ||
        (d.vehicleId !== undefined && vehicleIds.has(d.vehicleId)))
  )

  // Weighbridges: the first of a site weighs in, the last weighs out (one bridge does both).
  const bridgesOf = new Map<string, string[]>()
  for (const d of devices)
    if (d.type === 'weighbridge') bridgesOf.set(d.siteId!, [...(bridgesOf.get(d.siteId!) ?? []), d.id].sort())
  const ticketsOf = new Map<string, { ticket: Ticket; ticketId: string }[]>()
  const counters = new Map<string, number>()
  const ymd = o.date.replaceAll('-', '')
  for (const tk of tickets) {
    const wbs = bridgesOf.get(tk.siteId)
    if (!wbs) continue
    const wb = tk.direction === 'in' ? wbs[0]! : wbs[wbs.length - 1]!
    const k = `${tk.siteId}|${tk.direction}`
    const n = (counters.get(k) ?? 0) + 1
    counters.set(k, n)
    const ticketId = `${tk.siteId}-${ymd}-${tk.direction === 'in' ? 'I' : 'O'}${String(n).padStart(4, '0')}`
    ticketsOf.set(wb, [...(ticketsOf.get(wb) ?? []), { ticket: tk, ticketId }])
  }

  const stamp = (t: number, seq: number) => ({ ts: localIso(t, o.tz), seq })
  const heap = createHeap()
  const state: { sources: Source[]; seq: number; rng: Rng; device: Device }[] = []

  devices.forEach((d, di) => {
    const rng = rngFor(o.seed, 'device', d.id)
    const sources: Source[] = []
    const every = (
      intervalMs: number,
      from: number,
      to: number,
      emit: Source['emit'],
      stepAt: (t: number) => number = () => intervalMs
    ): void => {
      const first = from + Math.floor(rng() * intervalMs)
      if (first < to)
        sources.push({ next: first, emit, advance: (t) => (t + stepAt(t) < to ? t + stepAt(t) : Infinity) })
    }
    if (d.type === 'fill-sensor') {
      const bin = bins.get(d.binId!)!
      const battery0 = between(rng, 40, 100)
      const fineMs = o.fillIntervalS * 1000
      const coarse = o.coarseFill
      const stepAt = coarse
        ? (t: number) => (t < coarse.untilMs ? Math.max(fineMs, coarse.intervalS * 1000) : fineMs)
        : undefined
      every(
        fineMs,
        dayStart,
        dayEnd,
        (t) => {
          const h = (t - dayStart) / 3_600_000
          const sample = {
            fillPct: bin.fillAt(t) + (rng() - 0.5) * 2,
            batteryPct: battery0 - 0.4 * (h / 24),
            tempC: 14 + 6 * Math.sin(((h - 9) / 24) * 2 * Math.PI) + (rng() - 0.5)
          }
          return { kind: 'fill', message: generators.fill(sample, stamp(t, entry.seq++)) }
        },
        stepAt
      )
    } else if (d.type === 'gps-tracker') {
      const plan = planOf.get(d.vehicleId!)
      if (plan) {
        const { start, end } = dutyWindow(plan)
        const fineMs = o.gpsIntervalS * 1000
        const coarse = o.coarseGps
        every(
          fineMs,
          start,
          end,
          (t) => ({ kind: 'position', message: generators.position(positionAt(plan, t), stamp(t, entry.seq++)) }),
          coarse ? (t) => (t < coarse.untilMs ? Math.max(fineMs, coarse.intervalS * 1000) : fineMs) : undefined
        )
      }
    } else {
      const list = ticketsOf.get(d.id) ?? []
      let i = 0
      if (list.length > 0) {
        sources.push({
          next: list[0]!.ticket.t,
          emit: () => ({
            kind: 'weighing',
            message: generators.weighing(list[i]!, stamp(list[i]!.ticket.t, entry.seq++))
          }),
          advance: () => (++i < list.length ? list[i]!.ticket.t : Infinity)
        })
      }
    }
    const boot = dayStart - intBetween(rng, 3600, 30 * 86_400) * 1000
    const battery = d.type === 'fill-sensor' ? between(rng, 40, 100) : undefined
    const rssi = between(rng, -105, -60)
    every(o.statusIntervalS * 1000, dayStart, dayEnd, (t) => ({
      kind: 'status',
      message: generators.status(
        {
          ...(battery === undefined ? {} : { batteryPct: battery }),
          rssiDbm: rssi + (rng() - 0.5) * 6,
          firmware: FIRMWARE[d.type],
          uptimeS: (t - boot) / 1000
        },
        stamp(t, entry.seq++)
      )
    }))
    const entry = { sources, seq: 0, rng, device: d }
    state.push(entry)
    sources.forEach((s, si) => heap.push([s.next, di, si]))
  })

  function until(simNow: number): SimEvent[] {
    const events: SimEvent[] = []
    for (let top = heap.peek(); top && top[0] <= simNow; top = heap.peek()) {
      heap.pop()
      const [t, di, si] = top
      const entry = state[di]!
      const src = entry.sources[si]!
      const made = src.emit(t)
      if (made) events.push({ deviceId: entry.device.id, kind: made.kind, t, message: made.message })
      const next = src.advance(t)
      if (Number.isFinite(next)) heap.push([next, di, si])
    }
    return events
  }

  return {
    dayStart,
    dayEnd,
    tickets,
    plans,
    emptyings: rounds.emptyings,
    bins,
    notClearing,
    devices,
    until,
    nextAt: () => heap.peek()?.[0]
  }
}
