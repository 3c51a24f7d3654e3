// Today's state from InfluxDB, the source of truth (docs/architecture.md, decision 3).
//
// - Opening stock: Σin − Σout of every ticket before today's local midnight, one aggregate
//   per site and direction — exact, with no recursion through earlier days.
// - Month to date: recovered recyclables from the 1st to today's midnight, one aggregate.
// - Latest before today: last() per bin, vehicle and device (30 days back).
// - Today: the day's points themselves, folded through the same fold as live facts. InfluxQL
//   1.x (1.6 here) can neither aggregate one device's seq numbers across measurements (a
//   subquery over several measurements still answers per measurement) nor compare a field with
//   the point's time (lateness is recv_ms − time), and the bin and vehicle views need their
//   readings in event-time order (emptyings, violation episodes), so the rebuild reads today's
//   points, an hour at a time; every number then equals the live fold's by construction.
//   The model subscribes before it rebuilds and folds the facts that arrived meanwhile with
//   the fold's own de-duplication, so the overlap counts once.
import type { Material } from '../../contracts/device/weighing.ts'
import type { Fact } from '../../contracts/facts.ts'
import type { InfluxClient, InfluxResult } from '../../influx/client.ts'
import { rows } from '../../influx/client.ts'
import {
  DATA_MEASUREMENTS,
  REPEAT_MEASUREMENTS,
  rowToFact,
  type FactMeasurement as Measurement
} from '../../influx/schema/index.ts'
import { FIELD as F, MEASUREMENT as M, q, TAG as T } from '../../influx/schema/names.ts'
import { startOfLocalDay } from '../../lib/time.ts'
import { binState } from '../fold/fill.ts'
import { createFoldState, foldFact, type FoldContext, type FoldState } from '../fold/index.ts'
import { fixFlags, vehicleState } from '../fold/position.ts'
import { deviceState, newer, seen } from '../fold/state.ts'
import { noteRecentInbound } from '../fold/weighing.ts'

const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000
const LOOKBACK_MS = 30 * DAY_MS

async function query(influx: InfluxClient, statement: string): Promise<InfluxResult[]> {
  return influx.query(statement, { epoch: 'ms' })
}

/** Σin − Σout per site of every ticket before `beforeMs`. */
export async function openingKg(influx: InfluxClient, beforeMs: number): Promise<Map<string, number>> {
  const [r] = await query(
    influx,
    `SELECT sum(${q(F.netKg)}) FROM ${q(M.weighing)} WHERE time < ${beforeMs}ms GROUP BY ${q(T.site)}, ${q(T.direction)}`
  )
  const out = new Map<string, number>()
  for (const row of rows(r)) {
    const kg = Number(row.sum)
    const site = String(row[T.site])
    out.set(site, (out.get(site) ?? 0) + (row[T.direction] === 'out' ? -kg : kg))
  }
  return out
}

/** Recovered recyclables (outbound of sorting centres) per material in [fromMs, toMs). */
export async function recoveredKg(influx: InfluxClient, fromMs: number, toMs: number): Promise<Map<Material, number>> {
  const [r] = await query(
    influx,
    `SELECT sum(${q(F.netKg)}) FROM ${q(M.weighing)} WHERE time >= ${fromMs}ms AND time < ${toMs}ms` +
      ` AND ${q(T.stream)} = 'recyclable' AND ${q(T.direction)} = 'out' AND ${q(T.siteType)} = 'sorting' GROUP BY ${q(T.material)}`
  )
  const out = new Map<Material, number>()
  for (const row of rows(r)) if (row[T.material]) out.set(String(row[T.material]) as Material, Number(row.sum))
  return out
}

export const monthStartOf = (day: string, tz: string): number => startOfLocalDay(`${day.slice(0, 8)}01`, tz)

/**
 * Every fact stored for event times in [fromMs, toMs): data points and rejections by their
 * point time, duplicates and conflicts by the event time of the data they repeat. Yields an
 * hour of points at a time and queries the next hour while the caller folds this one, so a busy
 * day (1.5 M points) is never held in memory at once.
 */
export async function* readFactChunks(
  influx: InfluxClient,
  fromMs: number,
  toMs: number,
  measurements: readonly Measurement[] = [...DATA_MEASUREMENTS, ...REPEAT_MEASUREMENTS]
): AsyncGenerator<Fact[]> {
  const isRepeat = (m: Measurement): m is (typeof REPEAT_MEASUREMENTS)[number] =>
    (REPEAT_MEASUREMENTS as readonly Measurement[]).includes(m)
  const plain = measurements.filter((m) => !isRepeat(m))
  const hour = (a: number): Promise<Fact[]> => {
    const b = Math.min(toMs, a + HOUR_MS)
    return query(
      influx,
      plain.map((m) => `SELECT * FROM ${q(m)} WHERE time >= ${a}ms AND time < ${b}ms GROUP BY *`).join('; ')
    ).then((results) => plain.flatMap((m, i) => rows(results[i]).map((row) => rowToFact[m](row))))
  }
  let next = fromMs < toMs && plain.length > 0 ? hour(fromMs) : undefined
  for (let a = fromMs; next; a += HOUR_MS) {
    const current = next
    // Start the next query before the caller folds this chunk (InfluxDB works on the other core).
    next = a + HOUR_MS < toMs ? hour(a + HOUR_MS) : undefined
    next?.catch(() => undefined)
    yield await current
  }
  for (const m of measurements.filter(isRepeat)) {
    // A duplicate or conflict point is stamped with its arrival; its data's event time may be
    // up to a day earlier than any arrival we look at here only when the device clock ran ahead.
    const where = `time >= ${fromMs - DAY_MS}ms AND ${q(F.eventMs)} >= ${fromMs} AND ${q(F.eventMs)} < ${toMs}`
    const [r] = await query(influx, `SELECT * FROM ${q(m)} WHERE ${where} GROUP BY *`)
    yield rows(r).map((row) => rowToFact[m](row))
  }
}

/** The latest reading of each bin, vehicle and device before `beforeMs` (last(), 30 days back). */
export async function latestBefore(
  influx: InfluxClient,
  state: FoldState,
  beforeMs: number,
  ctx: FoldContext
): Promise<void> {
  const range = `time >= ${beforeMs - LOOKBACK_MS}ms AND time < ${beforeMs}ms`
  const queries = [
    `SELECT last(${q(F.fillPct)}) FROM ${q(M.fill)} WHERE ${range} GROUP BY ${q(T.bin)}`,
    `SELECT last(${q(F.lat)}) AS ${q(F.lat)}, ${[F.lon, F.speedKmh, F.headingDeg].map(q).join(', ')}` +
      ` FROM ${q(M.position)}` +
      ` WHERE ${range} GROUP BY ${q(T.vehicle)}, ${q(T.vehicleType)}`,
    `SELECT last(${q(F.recvMs)}) FROM ${[M.weighing, M.fill, M.position, M.status].map(q).join(', ')}` +
      ` WHERE ${range} GROUP BY ${q(T.device)}`,
    `SELECT last(${q(F.batteryPct)}) FROM ${q(M.fill)}, ${q(M.status)} WHERE ${range} GROUP BY ${q(T.device)}`,
    `SELECT last(${q(F.rssiDbm)}) FROM ${q(M.status)} WHERE ${range} GROUP BY ${q(T.device)}`,
    `SELECT last(${q(F.firmware)}) FROM ${q(M.status)} WHERE ${range} GROUP BY ${q(T.device)}`
  ].join('; ')
  const [bins, vehicles, seenRows, battery, rssi, firmware] = await query(influx, queries)
  for (const r of rows(bins)) {
    const b = binState(state, String(r[T.bin]))
    const ts = Number(r.time)
    if (b.before === null || ts > b.before.ts) b.before = { ts, fillPct: Number(r.last) }
  }
  for (const r of rows(vehicles)) {
    const v = vehicleState(state, String(r[T.vehicle]))
    const heading = r[F.headingDeg]
    const fix = {
      ts: Number(r.time),
      lat: Number(r[F.lat]),
      lon: Number(r[F.lon]),
      speedKmh: Number(r[F.speedKmh]),
      headingDeg: heading === null || heading === undefined ? null : Number(heading),
      vehicleType: String(r[T.vehicleType])
    }
    if (v.latest === null || fix.ts >= v.latest.ts) v.latest = fix
    if (v.beforeTs === null || fix.ts > v.beforeTs) {
      v.beforeTs = fix.ts
      v.beforeFlags = fixFlags(fix, ctx)
    }
  }
  for (const r of rows(seenRows)) seen(deviceState(state, String(r[T.device])), Number(r.time))
  for (const r of rows(battery)) {
    const d = deviceState(state, String(r[T.device]))
    d.battery = newer(d.battery, Number(r.time), Number(r.last))
  }
  for (const r of rows(rssi)) {
    const d = deviceState(state, String(r[T.device]))
    d.rssi = newer(d.rssi, Number(r.time), Number(r.last))
  }
  for (const r of rows(firmware)) {
    const d = deviceState(state, String(r[T.device]))
    d.firmware = newer(d.firmware, Number(r.time), String(r.last))
  }
}

/**
 * The rebuild at start reads a whole busy day in hourly chunks (about 30 s for 1.5 M points,
 * `npm run bench:rebuild`); a chunk may take longer than the short timeout that readers of the
 * API get (QINGYUN_INFLUX_QUERY_TIMEOUT_MS), so its queries wait up to this long.
 */
export const REBUILD_QUERY_TIMEOUT_MS = 60_000

const withQueryTimeout = (influx: InfluxClient, timeoutMs: number): InfluxClient => ({
  ...influx,
  query: (q, opts = {}) => influx.query(q, { timeoutMs, ...opts })
})

/** Today's fold state, rebuilt from InfluxDB alone. */
export async function rebuildDay(
  client: InfluxClient,
  day: string,
  now: number,
  ctx: FoldContext
): Promise<{ state: FoldState; facts: number }> {
  const influx = withQueryTimeout(client, REBUILD_QUERY_TIMEOUT_MS)
  const state = createFoldState(day, ctx.tz)
  const monthStart = monthStartOf(day, ctx.tz)
  const [opening, mtd] = await Promise.all([
    openingKg(influx, state.start),
    recoveredKg(influx, monthStart, state.start)
  ])
  for (const [k, v] of opening) state.openingKg.set(k, v)
  for (const [k, v] of mtd) state.mtdBeforeKg.set(k, v)
  await latestBefore(influx, state, state.start, ctx)
  // Tonnes per hour looks back an hour, across midnight.
  if (now - state.start < HOUR_MS) {
    for await (const chunk of readFactChunks(influx, state.start - HOUR_MS, state.start, ['weighing']))
      for (const f of chunk) if (f.kind === 'weighing') noteRecentInbound(state, f)
  }
  let facts = 0
  for await (const chunk of readFactChunks(influx, state.start, Math.max(state.end, now + HOUR_MS))) {
    for (const f of chunk) foldFact(state, f, ctx)
    facts += chunk.length
  }
  return { state, facts }
}
