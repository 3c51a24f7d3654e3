// The daily (日报) and monthly (月报) operations reports, from the same numbers the REST API
// serves: site balances, recyclables and completeness per day, and a closed day's summary for
// bins and vehicles (docs/history.md). A monthly report is its days added up. Pure but for the
// source it is given: the node's model (REST) or InfluxDB directly (`qingyun report`).
import type { CompletenessRow, Recyclables, SiteBalance } from '../../contracts/ops.ts'
import type { Registry } from '../../contracts/registry.ts'
import type { DailyReport, MonthlyReport, ReportCityDay } from '../../contracts/reports.ts'
import { addDays } from '../../lib/time.ts'
import { pct, tonnes } from '../fold/round.ts'
import type { DaySummary } from '../model/summaryFold.ts'

/** What a report reads per day. */
export interface ReportSource {
  today(): string
  sites(day: string): Promise<SiteBalance[]>
  recyclables(day: string): Promise<Recyclables>
  completeness(day: string): Promise<CompletenessRow[]>
  /** Bins and vehicles of the day; `closed` false for a day still in progress (no distance). */
  daySummary(day: string): Promise<{ summary: DaySummary; closed: boolean }>
}

/** Days read at once for a monthly report (each is a few queries; InfluxDB shares two cores). */
const DAY_CONCURRENCY = 3

interface DayData {
  day: string
  sites: SiteBalance[]
  recyclables: Recyclables
  completeness: CompletenessRow[]
  summary: DaySummary
  closed: boolean
}

async function readDays(source: ReportSource, days: readonly string[]): Promise<DayData[]> {
  const out: DayData[] = new Array<DayData>(days.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < days.length) {
      const i = next++
      const day = days[i]!
      const [sites, recyclables, completeness, s] = await Promise.all([
        source.sites(day),
        source.recyclables(day),
        source.completeness(day),
        source.daySummary(day)
      ])
      out[i] = { day, sites, recyclables, completeness, summary: s.summary, closed: s.closed }
    }
  }
  await Promise.all(Array.from({ length: Math.min(DAY_CONCURRENCY, days.length) }, worker))
  return out
}

const kg = (t: number): number => Math.round(t * 1000)
const sumT = (xs: readonly number[]): number => tonnes(xs.reduce((a, t) => a + kg(t), 0))

function body(registry: Registry, data: readonly DayData[], today: string, now: number) {
  const siteName = new Map(registry.sites.map((s) => [s.id, s.name]))
  const target = registry.city.dailyTargetT
  const cityDays: ReportCityDay[] = data.map((d) => {
    const inT = sumT(d.sites.map((s) => s.inT))
    return {
      day: d.day,
      inT,
      outT: sumT(d.sites.map((s) => s.outT)),
      targetT: target,
      targetPct: pct(kg(inT), kg(target)),
      sitesCleared: d.sites.filter((s) => s.cleared).length,
      sitesTotal: d.sites.length,
      inProgress: d.day >= today
    }
  })
  const first = data[0]!
  const last = data[data.length - 1]!
  const sites = registry.sites.map((site) => {
    const per = data.map((d) => d.sites.find((s) => s.siteId === site.id))
    const open = per[0]
    const end = per[per.length - 1]
    const inT = sumT(per.map((s) => s?.inT ?? 0))
    const outT = sumT(per.map((s) => s?.outT ?? 0))
    const openingT = open?.openingT ?? 0
    return {
      siteId: site.id,
      name: site.name,
      type: site.type,
      district: site.district,
      openingT,
      inT,
      outT,
      stockT: end?.stockT ?? 0,
      clearancePct: pct(kg(outT), kg(openingT) + kg(inT)),
      toleranceT: end?.toleranceT ?? 0,
      cleared: end?.cleared ?? false,
      daysCleared: per.filter((s) => s?.cleared).length,
      days: per.length,
      ticketsIn: per.reduce((a, s) => a + (s?.ticketsIn ?? 0), 0),
      ticketsOut: per.reduce((a, s) => a + (s?.ticketsOut ?? 0), 0)
    }
  })
  const capacity = registry.sites.map((site) => {
    const per = data.map((d) => d.sites.find((s) => s.siteId === site.id))
    const busiest = per.reduce<number | null>((m, s) => {
      const p = s?.capacityPct ?? null
      return p === null ? m : m === null ? p : Math.max(m, p)
    }, null)
    return {
      siteId: site.id,
      name: site.name,
      capacityTpd: site.capacityTpd,
      inT: sumT(per.map((s) => s?.inT ?? 0)),
      capacityPct: busiest,
      daysOver: per.filter((s) => s !== undefined && s.inT > site.capacityTpd).length
    }
  })
  const recyclables = last.recyclables.monthToDate.map((m) => ({
    material: m.material,
    inT: sumT(data.map((d) => d.recyclables.byMaterial.find((x) => x.material === m.material)?.inT ?? 0)),
    outT: sumT(data.map((d) => d.recyclables.byMaterial.find((x) => x.material === m.material)?.outT ?? 0)),
    monthT: m.t,
    monthTargetT: m.targetT,
    monthPct: m.pct
  }))
  const sortingYield = first.recyclables.sortingYield.map((y) => {
    const inT = sumT(data.map((d) => d.recyclables.sortingYield.find((x) => x.siteId === y.siteId)?.inT ?? 0))
    const outT = sumT(data.map((d) => d.recyclables.sortingYield.find((x) => x.siteId === y.siteId)?.outT ?? 0))
    return { siteId: y.siteId, name: siteName.get(y.siteId) ?? y.siteId, inT, outT, yieldPct: pct(kg(outT), kg(inT)) }
  })
  const districts = [...new Set(registry.bins.map((b) => b.district))]
  const bins = districts.map((district) => {
    const ids = registry.bins.filter((b) => b.district === district).map((b) => b.id)
    let reporting = 0
    let serviced = 0
    let overflowed = 0
    for (const d of data)
      for (const id of ids) {
        const b = d.summary.bins.get(id)
        if (!b) continue
        reporting++
        if (b.emptied > 0) serviced++
        if (b.overflowed) overflowed++
      }
    return { district, bins: ids.length, reporting, serviced, overflowed }
  })
  const allClosed = data.every((d) => d.closed)
  const vehicles = registry.vehicles.map((v) => {
    let fixes = 0
    let km = 0
    let zoneViolations = 0
    let speedViolations = 0
    for (const d of data) {
      const x = d.summary.vehicles.get(v.id)
      if (!x) continue
      fixes += x.fixes
      km += x.km
      zoneViolations += x.zoneViolations
      speedViolations += x.speedViolations
    }
    return {
      vehicleId: v.id,
      plate: v.plate,
      type: v.type,
      district: v.district,
      fixes: allClosed ? fixes : null,
      km: allClosed ? Math.round(km * 10) / 10 : null,
      zoneViolations,
      speedViolations
    }
  })
  const refName = (d: Registry['devices'][number]): string => {
    if (d.siteId !== undefined) return siteName.get(d.siteId) ?? d.siteId
    if (d.vehicleId !== undefined) return registry.vehicles.find((v) => v.id === d.vehicleId)?.plate ?? d.vehicleId
    return d.binId ?? '-'
  }
  const byDevice = data.map((d) => new Map(d.completeness.map((r) => [r.key, r])))
  const completeness = registry.devices.map((dev) => {
    const c = { accepted: 0, rejected: 0, duplicates: 0, conflicts: 0, late: 0, missing: 0 }
    for (const m of byDevice) {
      const r = m.get(dev.id)
      if (!r) continue
      c.accepted += r.accepted
      c.rejected += r.rejectedTotal
      c.duplicates += r.duplicates
      c.conflicts += r.conflicts
      c.late += r.late
      c.missing += r.missing
    }
    return { deviceId: dev.id, type: dev.type, ref: refName(dev), ...c }
  })
  return {
    city: { id: registry.city.id, name: registry.city.name, tz: registry.city.tz },
    generatedAt: now,
    days: data.map((d) => d.day),
    cityDays,
    sites,
    capacity,
    recyclables,
    sortingYield,
    bins,
    vehicles,
    completeness
  }
}

export async function dailyReport(
  source: ReportSource,
  registry: Registry,
  day: string,
  now: number
): Promise<DailyReport> {
  const data = await readDays(source, [day])
  return { kind: 'daily', day, ...body(registry, data, source.today(), now) }
}

/** The days of `month` (YYYY-MM) up to today; a month after today has none and is refused by the route. */
export function daysOf(month: string, today: string): string[] {
  const days: string[] = []
  for (let d = `${month}-01`; d.startsWith(month) && d <= today; d = addDays(d, 1)) days.push(d)
  return days
}

export async function monthlyReport(
  source: ReportSource,
  registry: Registry,
  month: string,
  now: number
): Promise<MonthlyReport> {
  const days = daysOf(month, source.today())
  const data = await readDays(source, days)
  return { kind: 'monthly', month, ...body(registry, data, source.today(), now) }
}
