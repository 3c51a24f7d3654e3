// A vehicle's local day replayed from InfluxDB, the record (docs/architecture.md, decision 3):
// its fixes (at most `maxFixes`, in time order), downsampled with its stops and violations
// (model/trackShape.ts), and the weighbridge tickets with its plate (tipping events).
import type { VehicleTrack, TrackPoint, TrackTipping } from '../../contracts/opsCentre.ts'
import type { Registry, ResolvedRules, Vehicle } from '../../contracts/registry.ts'
import { quoteString, rows, type InfluxClient } from '../../influx/client.ts'
import { FIELD as F, MEASUREMENT as M, q, TAG as T } from '../../influx/schema/names.ts'
import { addDays, startOfLocalDay } from '../../lib/time.ts'
import { DEFAULT_STOP_MINUTES, distanceKm, downsample, stops, violations } from './trackShape.ts'

export interface TrackQuery {
  readonly influx: InfluxClient
  readonly registry: Registry
  readonly rules: ResolvedRules
  readonly tz: string
  readonly vehicle: Vehicle
  readonly day: string
  /** Fixes read at most; a day beyond it is cut there (README, "Limits and protections"). */
  readonly maxFixes: number
  readonly stopMinutes?: number
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))

export async function vehicleTrack(o: TrackQuery): Promise<VehicleTrack> {
  const start = startOfLocalDay(o.day, o.tz)
  const end = startOfLocalDay(addDays(o.day, 1), o.tz)
  const range = `time >= ${start}ms AND time < ${end}ms`
  // Two requests side by side: influxd answers the statements of one request one after another.
  const [[pos], [tix]] = await Promise.all([
    o.influx.query(
      `SELECT ${q(F.lat)}, ${q(F.lon)}, ${q(F.speedKmh)}, ${q(F.headingDeg)} FROM ${q(M.position)}` +
        ` WHERE ${q(T.vehicle)} = ${quoteString(o.vehicle.id)} AND ${range} ORDER BY time ASC LIMIT ${o.maxFixes + 1}`,
      { epoch: 'ms' }
    ),
    o.influx.query(
      `SELECT ${q(F.ticketId)}, ${q(F.netKg)}, ${q(T.site)}, ${q(T.direction)} FROM ${q(M.weighing)}` +
        ` WHERE ${q(F.plate)} = ${quoteString(o.vehicle.plate)} AND ${range} ORDER BY time ASC`,
      { epoch: 'ms' }
    )
  ])
  const all: TrackPoint[] = []
  let lastT = -1
  for (const r of rows(pos)) {
    const t = Number(r.time)
    // Two trackers on one vehicle may report the same instant: one point per instant.
    if (t === lastT) continue
    lastT = t
    all.push({
      t,
      lat: Number(r[F.lat]),
      lon: Number(r[F.lon]),
      speedKmh: Number(r[F.speedKmh]),
      headingDeg: num(r[F.headingDeg])
    })
  }
  const truncated = all.length > o.maxFixes
  if (truncated) all.length = o.maxFixes
  const siteName = new Map(o.registry.sites.map((s) => [s.id, s.name]))
  const tipping: TrackTipping[] = rows(tix).map((r) => ({
    t: Number(r.time),
    siteId: String(r[T.site]),
    siteName: siteName.get(String(r[T.site])) ?? null,
    ticketId: String(r[F.ticketId]),
    direction: r[T.direction] === 'out' ? 'out' : 'in',
    netKg: Number(r[F.netKg])
  }))
  const zones = o.registry.zones ?? []
  return {
    vehicleId: o.vehicle.id,
    plate: o.vehicle.plate,
    type: o.vehicle.type,
    day: o.day,
    fixes: all.length,
    truncated,
    points: downsample(all),
    distanceKm: distanceKm(all),
    stops: stops(all, o.stopMinutes ?? DEFAULT_STOP_MINUTES, o.registry.sites, zones),
    violations: violations(all, {
      zones,
      vehicleType: o.vehicle.type,
      tz: o.tz,
      defaultSpeedLimitKmh: o.rules.defaultSpeedLimitKmh
    }),
    tipping
  }
}
