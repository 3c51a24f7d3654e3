// A closed day's summary (docs/history.md): the day's stored points folded once through the
// same fold as live data, reduced to what past-day reads need and the fold cannot get from an
// InfluxQL aggregate — completeness per device (late and missing need recv_ms − time and seq
// gaps, which InfluxQL 1.x cannot compute), bins emptied and overflowed, vehicle distance and
// violation episodes. Everything else about a past day (tonnes, tickets, hours, recyclables) is
// one aggregating query and needs no summary.
import type { CompletenessRow } from '../../contracts/ops.ts'
import type { RejectionCode } from '../../contracts/rejection.ts'
import type { Registry } from '../../contracts/registry.ts'
import type { Fact } from '../../contracts/facts.ts'
import { binView } from '../fold/bins.ts'
import { completenessRows } from '../fold/completeness.ts'
import { createFoldState, foldFact, type FoldContext, type FoldState } from '../fold/index.ts'
import { vehicleView } from '../fold/vehicles.ts'

export type DeviceCounts = Omit<CompletenessRow, 'day' | 'key' | 'by'>

export interface BinDay {
  readonly readings: number
  readonly maxFillPct: number | null
  /** Some reading of the day at or above the overflow threshold. */
  readonly overflowed: boolean
  readonly emptied: number
}

export interface VehicleDay {
  readonly fixes: number
  /** Great-circle distance between consecutive fixes of the day, km. */
  readonly km: number
  readonly zoneViolations: number
  readonly speedViolations: number
}

export interface DaySummary {
  readonly day: string
  /** Devices with anything on the day; a registered device absent here had nothing. */
  readonly devices: ReadonlyMap<string, DeviceCounts>
  readonly bins: ReadonlyMap<string, BinDay>
  readonly vehicles: ReadonlyMap<string, VehicleDay>
}

const EARTH_KM = 6371.0088
const rad = (d: number): number => (d * Math.PI) / 180

export function haversineKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const dLat = rad(b.lat - a.lat)
  const dLon = rad(b.lon - a.lon)
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_KM * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** Folds one closed day's facts; `before` lets the caller seed the state (latest readings before the day). */
export async function summariseDay(
  day: string,
  chunks: AsyncIterable<readonly Fact[]>,
  registry: Registry,
  ctx: FoldContext,
  before?: (state: FoldState) => Promise<void>
): Promise<DaySummary> {
  const state = createFoldState(day, ctx.tz)
  await before?.(state)
  // Distance per vehicle: fixes of a chunk in event-time order; chunks come an hour at a time.
  const track = new Map<string, { lat: number; lon: number; ts: number; km: number; fixes: number }>()
  for await (const chunk of chunks) {
    const fixes: Extract<Fact, { kind: 'position' }>[] = []
    for (const f of chunk) {
      foldFact(state, f, ctx)
      if (f.kind === 'position' && f.ts >= state.start && f.ts < state.end) fixes.push(f)
    }
    fixes.sort((a, b) => a.ts - b.ts)
    for (const f of fixes) {
      const t = track.get(f.vehicleId)
      if (!t) track.set(f.vehicleId, { lat: f.lat, lon: f.lon, ts: f.ts, km: 0, fixes: 1 })
      else if (f.ts > t.ts) {
        t.km += haversineKm(t, f)
        Object.assign(t, { lat: f.lat, lon: f.lon, ts: f.ts })
        t.fixes++
      }
    }
  }
  const devices = new Map<string, DeviceCounts>()
  for (const row of completenessRows(state.days.get(day), day, 'device', { ...registry, devices: [] })) {
    const { day: _d, key, by: _b, ...counts } = row
    devices.set(key, counts)
  }
  const bins = new Map<string, BinDay>()
  for (const bin of registry.bins) {
    const b = state.bins.get(bin.id)
    let count = 0
    let max = -Infinity
    for (let i = 0; b && i < b.ts.length && b.ts[i]! < state.end; i++) {
      count++
      max = Math.max(max, b.fillPct[i]!)
    }
    if (count === 0) continue
    bins.set(bin.id, {
      readings: count,
      maxFillPct: max,
      overflowed: max >= ctx.rules.binOverflowPct,
      emptied: binView(state, bin, null, ctx.rules).emptiedToday
    })
  }
  const vehicles = new Map<string, VehicleDay>()
  for (const v of registry.vehicles) {
    const t = track.get(v.id)
    if (!t) continue
    const view = vehicleView(state, v, state.end, ctx)
    vehicles.set(v.id, {
      fixes: t.fixes,
      km: Math.round(t.km * 1000) / 1000,
      zoneViolations: view.zoneViolationsToday,
      speedViolations: view.speedViolationsToday
    })
  }
  return { day, devices, bins, vehicles }
}

const ZERO: DeviceCounts = {
  accepted: 0,
  rejected: {},
  rejectedTotal: 0,
  duplicates: 0,
  conflicts: 0,
  late: 0,
  missing: 0
}

function add(a: DeviceCounts, b: DeviceCounts): DeviceCounts {
  const rejected: Partial<Record<RejectionCode, number>> = { ...a.rejected }
  for (const [code, n] of Object.entries(b.rejected) as [RejectionCode, number][])
    rejected[code] = (rejected[code] ?? 0) + n
  return {
    accepted: a.accepted + b.accepted,
    rejected,
    rejectedTotal: a.rejectedTotal + b.rejectedTotal,
    duplicates: a.duplicates + b.duplicates,
    conflicts: a.conflicts + b.conflicts,
    late: a.late + b.late,
    missing: a.missing + b.missing
  }
}

/**
 * The completeness report from a summary, row for row what fold/completeness.ts makes from the
 * folded day: every registered device (and any other that sent something), sorted; or per site,
 * the sum over its devices in today's registry.
 */
export function summaryCompleteness(s: DaySummary, by: 'device' | 'site', registry: Registry): CompletenessRow[] {
  const { day } = s
  if (by === 'device') {
    const ids = new Set([...registry.devices.map((d) => d.id), ...s.devices.keys()])
    return [...ids].sort().map((key) => ({ day, key, by, ...(s.devices.get(key) ?? ZERO) }))
  }
  return registry.sites.map((site) => {
    let c = ZERO
    for (const dev of registry.devices) {
      const d = s.devices.get(dev.id)
      if (dev.siteId === site.id && d) c = add(c, d)
    }
    // add() keeps counts only: a site row lists no conflicts, as fold/completeness.ts.
    return { day, key: site.id, by, ...c }
  })
}
