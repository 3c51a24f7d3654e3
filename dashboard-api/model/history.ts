// Days other than today, from InfluxDB ("past days and history come from InfluxDB
// queries"). Day and hour buckets are local: GROUP BY time(…) with tz('<QINGYUN_TZ>').
import type { Material } from '../../contracts/device/weighing.ts'
import type { CompletenessRow, DailyRow, HourPoint, Recyclables, SiteBalance, Ticket } from '../../contracts/ops.ts'
import type { Registry } from '../../contracts/registry.ts'
import { quoteString, rows, type InfluxClient } from '../../influx/client.ts'
import { FIELD as F, MEASUREMENT as M, q, TAG as T } from '../../influx/schema/names.ts'
import { addDays, localDate, startOfLocalDay } from '../../lib/time.ts'
import { completenessRows } from '../fold/completeness.ts'
import { createFoldState, foldFact, type FoldContext } from '../fold/index.ts'
import {
  closedProjection,
  hourPoints,
  makeBalance,
  makeRecyclables,
  type SiteNumbers,
  type SiteRecyclables
} from '../fold/sites.ts'
import { monthStartOf, openingKg, readFactChunks, recoveredKg } from './rebuild.ts'

const tzClause = (tz: string): string => `tz(${quoteString(tz)})`

interface DayNumbers {
  inKg: number
  outKg: number
  ticketsIn: number
  ticketsOut: number
}

/** In/out kg and tickets per local day and site over [from, to]. */
async function dailySums(
  influx: InfluxClient,
  from: string,
  to: string,
  tz: string,
  siteId?: string
): Promise<Map<string, Map<string, DayNumbers>>> {
  const start = startOfLocalDay(from, tz)
  const end = startOfLocalDay(addDays(to, 1), tz)
  const site = siteId === undefined ? '' : ` AND ${q(T.site)} = ${quoteString(siteId)}`
  const [r] = await influx.query(
    `SELECT sum(${q(F.netKg)}), count(${q(F.netKg)}) FROM ${q(M.weighing)} WHERE time >= ${start}ms AND time < ${end}ms${site}` +
      ` GROUP BY time(1d), ${q(T.site)}, ${q(T.direction)} fill(none) ${tzClause(tz)}`,
    { epoch: 'ms' }
  )
  const out = new Map<string, Map<string, DayNumbers>>()
  for (const row of rows(r)) {
    const day = localDate(Number(row.time), tz)
    let bySite = out.get(day)
    if (!bySite) out.set(day, (bySite = new Map()))
    const s = String(row[T.site])
    const n = bySite.get(s) ?? { inKg: 0, outKg: 0, ticketsIn: 0, ticketsOut: 0 }
    if (row[T.direction] === 'out') {
      n.outKg += Number(row.sum)
      n.ticketsOut += Number(row.count)
    } else {
      n.inKg += Number(row.sum)
      n.ticketsIn += Number(row.count)
    }
    bySite.set(s, n)
  }
  return out
}

/**
 * Daily balances over [from, to]: the opening of `from` is one aggregate over everything
 * before it; each later day opens with the previous day's closing.
 */
export async function dailyBalances(
  influx: InfluxClient,
  registry: Registry,
  from: string,
  to: string,
  tz: string,
  siteId?: string
): Promise<{ day: string; balances: { n: SiteNumbers; site: Registry['sites'][number] }[] }[]> {
  const sites = registry.sites.filter((s) => siteId === undefined || s.id === siteId)
  const fromMs = startOfLocalDay(from, tz)
  const [opening, sums] = await Promise.all([openingKg(influx, fromMs), dailySums(influx, from, to, tz, siteId)])
  const stock = new Map(sites.map((s) => [s.id, opening.get(s.id) ?? 0]))
  const out: { day: string; balances: { n: SiteNumbers; site: Registry['sites'][number] }[] }[] = []
  for (let day = from; day <= to; day = addDays(day, 1)) {
    const bySite = sums.get(day)
    out.push({
      day,
      balances: sites.map((site) => {
        const d = bySite?.get(site.id) ?? { inKg: 0, outKg: 0, ticketsIn: 0, ticketsOut: 0 }
        const openingKg = stock.get(site.id) ?? 0
        stock.set(site.id, openingKg + d.inKg - d.outKg)
        return { site, n: { openingKg, ...d, lastTicketAt: null } }
      })
    })
  }
  return out
}

export async function historyRows(
  influx: InfluxClient,
  registry: Registry,
  from: string,
  to: string,
  tz: string,
  siteId?: string
): Promise<DailyRow[]> {
  const days = await dailyBalances(influx, registry, from, to, tz, siteId)
  return days.flatMap(({ day, balances }) =>
    balances.map(({ site, n }) => {
      const b = makeBalance(site, day, n, closedProjection(site, n))
      return {
        day,
        siteId: site.id,
        inT: b.inT,
        outT: b.outT,
        openingT: b.openingT,
        stockT: b.stockT,
        clearancePct: b.clearancePct,
        capacityPct: b.capacityPct,
        cleared: b.cleared,
        hasData: n.ticketsIn + n.ticketsOut > 0
      }
    })
  )
}

/** A closed (or future) day's balances, with the time of each site's last ticket. */
export async function sitesOn(
  influx: InfluxClient,
  registry: Registry,
  day: string,
  tz: string
): Promise<SiteBalance[]> {
  // Bounds first: an argument that throws after one query has started would leave that query's
  // promise unawaited (an unhandled rejection ends the process).
  const start = startOfLocalDay(day, tz)
  const end = startOfLocalDay(addDays(day, 1), tz)
  const [[d], [r]] = await Promise.all([
    dailyBalances(influx, registry, day, day, tz),
    influx.query(
      `SELECT last(${q(F.netKg)}) FROM ${q(M.weighing)} WHERE time >= ${start}ms AND time < ${end}ms GROUP BY ${q(T.site)}`,
      { epoch: 'ms' }
    )
  ])
  const last = new Map(rows(r).map((row) => [String(row[T.site]), Number(row.time)]))
  return (d?.balances ?? []).map(({ site, n }) => {
    const withLast = { ...n, lastTicketAt: last.get(site.id) ?? null }
    return makeBalance(site, day, withLast, closedProjection(site, withLast))
  })
}

/** In/out per local hour of a day, for one site or the whole city. */
export async function hourlyOn(influx: InfluxClient, day: string, tz: string, siteId?: string): Promise<HourPoint[]> {
  const start = startOfLocalDay(day, tz)
  const site = siteId === undefined ? '' : ` AND ${q(T.site)} = ${quoteString(siteId)}`
  const [r] = await influx.query(
    `SELECT sum(${q(F.netKg)}) FROM ${q(M.weighing)} WHERE time >= ${start}ms AND time < ${startOfLocalDay(addDays(day, 1), tz)}ms${site}` +
      ` GROUP BY time(1h), ${q(T.direction)} fill(none) ${tzClause(tz)}`,
    { epoch: 'ms' }
  )
  const inKg = new Array<number>(24).fill(0)
  const outKg = new Array<number>(24).fill(0)
  for (const row of rows(r)) {
    const h = Math.min(23, Math.max(0, Math.floor((Number(row.time) - start) / 3_600_000)))
    if (row[T.direction] === 'out') outKg[h]! += Number(row.sum)
    else inKg[h]! += Number(row.sum)
  }
  return hourPoints(start, inKg, outKg)
}

export async function recyclablesOn(
  influx: InfluxClient,
  registry: Registry,
  day: string,
  tz: string
): Promise<Recyclables> {
  const start = startOfLocalDay(day, tz)
  const end = startOfLocalDay(addDays(day, 1), tz)
  const monthStart = monthStartOf(day, tz)
  const [[r], mtd] = await Promise.all([
    influx.query(
      `SELECT sum(${q(F.netKg)}) FROM ${q(M.weighing)} WHERE time >= ${start}ms AND time < ${end}ms AND ${q(T.stream)} = 'recyclable'` +
        ` GROUP BY ${[T.site, T.siteType, T.direction, T.material].map(q).join(', ')}`,
      { epoch: 'ms' }
    ),
    recoveredKg(influx, monthStart, end)
  ])
  const sites = new Map<
    string,
    {
      siteId: string
      siteType: 'transfer' | 'sorting'
      inKg: number
      outKg: number
      byMaterialIn: Map<Material, number>
      byMaterialOut: Map<Material, number>
    }
  >()
  for (const row of rows(r)) {
    const id = String(row[T.site])
    let s = sites.get(id)
    if (!s)
      sites.set(
        id,
        (s = {
          siteId: id,
          siteType: row[T.siteType] === 'sorting' ? 'sorting' : 'transfer',
          inKg: 0,
          outKg: 0,
          byMaterialIn: new Map(),
          byMaterialOut: new Map()
        })
      )
    const kg = Number(row.sum)
    const out = row[T.direction] === 'out'
    if (out) s.outKg += kg
    else s.inKg += kg
    const material = row[T.material]
    if (material) {
      const m = out ? s.byMaterialOut : s.byMaterialIn
      m.set(String(material) as Material, (m.get(String(material) as Material) ?? 0) + kg)
    }
  }
  return makeRecyclables(day, registry, [...sites.values()] satisfies SiteRecyclables[], mtd)
}

/** A day's completeness: the day's stored points folded through the same fold as live data. */
export async function completenessOn(
  influx: InfluxClient,
  registry: Registry,
  day: string,
  by: 'device' | 'site',
  ctx: FoldContext
): Promise<CompletenessRow[]> {
  const state = createFoldState(day, ctx.tz)
  for await (const chunk of readFactChunks(influx, state.start, state.end))
    for (const f of chunk) foldFact(state, f, ctx)
  return completenessRows(state.days.get(day), day, by, registry)
}

/** A site's tickets on a local day, newest first (tickets are few: a busy station has a few hundred a day). */
export async function ticketsOn(
  influx: InfluxClient,
  day: string,
  tz: string,
  siteId: string,
  limit: number
): Promise<Ticket[]> {
  const start = startOfLocalDay(day, tz)
  const end = startOfLocalDay(addDays(day, 1), tz)
  const [r] = await influx.query(
    `SELECT ${[F.ticketId, F.grossKg, F.tareKg, F.netKg, F.plate].map(q).join(', ')} FROM ${q(M.weighing)}` +
      ` WHERE ${q(T.site)} = ${quoteString(siteId)} AND time >= ${start}ms AND time < ${end}ms` +
      ` GROUP BY ${[T.device, T.direction, T.stream, T.material].map(q).join(', ')} ORDER BY time DESC LIMIT ${limit}`,
    { epoch: 'ms' }
  )
  return rows(r)
    .map((row) => ({
      ts: Number(row.time),
      deviceId: String(row[T.device]),
      ticketId: String(row[F.ticketId]),
      direction: row[T.direction] === 'out' ? ('out' as const) : ('in' as const),
      stream: String(row[T.stream]),
      material: row[T.material] ? String(row[T.material]) : null,
      grossKg: Number(row[F.grossKg]),
      tareKg: Number(row[F.tareKg]),
      netKg: Number(row[F.netKg]),
      plate: String(row[F.plate])
    }))
    .sort((a, b) => b.ts - a.ts)
    .slice(0, limit)
}
