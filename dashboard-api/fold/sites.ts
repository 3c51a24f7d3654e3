// Site balances, the city summary and recyclables (docs/architecture.md, "The operations numbers") from
// numbers per site and day: today's from the fold, other days' from InfluxDB — one builder.
import { Material } from '../../contracts/device/weighing.ts'
import type {
  CitySummary,
  HourPoint,
  Recyclables,
  SiteBalance,
  SiteCounts,
  SiteProjection
} from '../../contracts/ops.ts'
import { hhmmMinutes, siteCutoff, siteToleranceT, type Registry, type Site } from '../../contracts/registry.ts'
import { profileShare, projectSite, type ProjectionInput } from './projection.ts'
import { pct, tonnes } from './round.ts'
import type { FoldState, SiteDay } from './state.ts'

const HOUR_MS = 3_600_000

export interface SiteNumbers {
  readonly openingKg: number
  readonly inKg: number
  readonly outKg: number
  readonly ticketsIn: number
  readonly ticketsOut: number
  readonly lastTicketAt: number | null
}

export function makeBalance(site: Site, day: string, n: SiteNumbers, projection: SiteProjection): SiteBalance {
  const stockKg = n.openingKg + n.inKg - n.outKg
  const toleranceT = siteToleranceT(site)
  return {
    siteId: site.id,
    name: site.name,
    type: site.type,
    district: site.district,
    day,
    inT: tonnes(n.inKg),
    outT: tonnes(n.outKg),
    openingT: tonnes(n.openingKg),
    stockT: tonnes(stockKg),
    clearancePct: pct(n.outKg, n.openingKg + n.inKg),
    capacityPct: pct(n.inKg, site.capacityTpd * 1000),
    capacityTpd: site.capacityTpd,
    toleranceT,
    cutoff: siteCutoff(site),
    cleared: stockKg <= toleranceT * 1000,
    ticketsIn: n.ticketsIn,
    ticketsOut: n.ticketsOut,
    lastTicketAt: n.lastTicketAt,
    projection,
    location: { lon: site.location.lon, lat: site.location.lat }
  }
}

/** A closed day: what happened is the projection. */
export function closedProjection(site: Site, n: SiteNumbers): SiteProjection {
  const stockKg = n.openingKg + n.inKg - n.outKg
  return {
    status: stockKg <= siteToleranceT(site) * 1000 ? 'cleared' : 'will-not-clear',
    projectedInT: tonnes(n.inKg),
    projectedOutT: tonnes(n.outKg),
    projectedStockT: tonnes(stockKg),
    overCapacity: n.inKg > site.capacityTpd * 1000
  }
}

function todayNumbers(state: FoldState, siteId: string): { n: SiteNumbers; s: SiteDay | undefined } {
  const s = state.days.get(state.day)?.sites.get(siteId)
  return {
    s,
    n: {
      openingKg: state.openingKg.get(siteId) ?? 0,
      inKg: s?.inKg ?? 0,
      outKg: s?.outKg ?? 0,
      ticketsIn: s?.ticketsIn ?? 0,
      ticketsOut: s?.ticketsOut ?? 0,
      lastTicketAt: s?.lastTicketAt ?? null
    }
  }
}

/** What the projection of a site today is computed from (fold/projection.ts). */
export function projectionInput(state: FoldState, site: Site, now: number): ProjectionInput {
  const { n, s } = todayNumbers(state, site.id)
  return {
    openingKg: n.openingKg,
    inKg: n.inKg,
    outKg: n.outKg,
    outTickets: s?.outTickets ?? [],
    dayStart: state.start,
    dayEnd: state.end,
    cutoffMs: state.start + hhmmMinutes(siteCutoff(site)) * 60_000,
    now,
    capacityTpd: site.capacityTpd,
    toleranceT: siteToleranceT(site)
  }
}

/** Today's balance of a site, with the live projection at `now`. */
export function siteToday(state: FoldState, site: Site, now: number): SiteBalance {
  const { n } = todayNumbers(state, site.id)
  return makeBalance(site, state.day, n, projectSite(projectionInput(state, site, now)))
}

/**
 * Tonnes per local hour. Hours that start after `reachedUntil` (today's hours not reached yet)
 * are null: nothing happened yet, which is not 0 t.
 */
export function hourPoints(
  dayStart: number,
  inKg: readonly number[],
  outKg: readonly number[],
  reachedUntil = Number.POSITIVE_INFINITY
): HourPoint[] {
  return inKg.map((kg, hour) => {
    const start = dayStart + hour * HOUR_MS
    const reached = start <= reachedUntil
    return {
      hour,
      start,
      inT: reached ? tonnes(kg) : null,
      outT: reached ? tonnes(outKg[hour] ?? 0) : null
    }
  })
}

export function siteHourlyToday(state: FoldState, siteId: string, now: number): HourPoint[] {
  const s = state.days.get(state.day)?.sites.get(siteId)
  const zeros = new Array<number>(24).fill(0)
  return hourPoints(state.start, s?.hourlyInKg ?? zeros, s?.hourlyOutKg ?? zeros, now)
}

export function cityHourlyKg(state: FoldState): { inKg: number[]; outKg: number[] } {
  const inKg = new Array<number>(24).fill(0)
  const outKg = new Array<number>(24).fill(0)
  for (const s of state.days.get(state.day)?.sites.values() ?? []) {
    for (let h = 0; h < 24; h++) {
      inKg[h]! += s.hourlyInKg[h]!
      outKg[h]! += s.hourlyOutKg[h]!
    }
  }
  return { inKg, outKg }
}

/** Inbound tonnes with event time in (now − 1 h, now]. */
export function tonnesPerHour(state: FoldState, now: number): number {
  let kg = 0
  for (const [ts, w] of state.recentIn.values()) if (ts > now - HOUR_MS && ts <= now) kg += w
  return tonnes(kg)
}

/** A site with no ticket today whose stock is fine: there is nothing to say about its day yet. */
const noDataYet = (b: SiteBalance): boolean =>
  b.ticketsIn + b.ticketsOut === 0 && (b.projection.status === 'on-track' || b.projection.status === 'cleared')

export function siteCounts(balances: readonly SiteBalance[]): SiteCounts {
  const count = (st: string) => balances.filter((b) => b.projection.status === st && !noDataYet(b)).length
  return {
    total: balances.length,
    cleared: count('cleared'),
    onTrack: count('on-track'),
    atRisk: count('at-risk'),
    willNotClear: count('will-not-clear'),
    overCapacity: balances.filter((b) => b.projection.overCapacity).length,
    noData: balances.filter(noDataYet).length
  }
}

export interface CityExtra {
  readonly tph: number
  readonly alerts: CitySummary['alerts']
  readonly simulated: boolean
  /** Milliseconds of the local day elapsed (the whole day for a past day). */
  readonly elapsedMs: number
  readonly dayMs: number
}

export function makeCity(
  day: string,
  registry: Registry,
  balances: readonly SiteBalance[],
  totals: { inKg: number; outKg: number },
  hourly: HourPoint[],
  extra: CityExtra
): CitySummary {
  const target = registry.city.dailyTargetT
  const elapsed = Math.min(Math.max(extra.elapsedMs, 0), extra.dayMs)
  return {
    day,
    simulated: extra.simulated,
    inT: tonnes(totals.inKg),
    outT: tonnes(totals.outKg),
    targetT: target,
    targetPct: pct(totals.inKg, target * 1000),
    paceT: elapsed >= extra.dayMs ? target : tonnes(target * 1000 * profileShare(elapsed)),
    dayElapsedPct: Math.round((elapsed / extra.dayMs) * 1000) / 10,
    tonnesPerHour: extra.tph,
    hourly,
    sites: siteCounts(balances),
    sitesByType: {
      transfer: siteCounts(balances.filter((b) => b.type === 'transfer')),
      sorting: siteCounts(balances.filter((b) => b.type === 'sorting'))
    },
    alerts: extra.alerts
  }
}

/** Recyclable kg of one site on one day. */
export interface SiteRecyclables {
  readonly siteId: string
  readonly siteType: 'transfer' | 'sorting'
  readonly inKg: number
  readonly outKg: number
  readonly byMaterialIn: ReadonlyMap<Material, number>
  readonly byMaterialOut: ReadonlyMap<Material, number>
}

export function makeRecyclables(
  day: string,
  registry: Registry,
  sites: readonly SiteRecyclables[],
  monthToDateKg: ReadonlyMap<Material, number>
): Recyclables {
  const targets = registry.targets?.recyclablesMonthlyT ?? {}
  const byMaterial = Material.options.map((material) => {
    let inKg = 0
    let outKg = 0
    for (const s of sites) {
      inKg += s.byMaterialIn.get(material) ?? 0
      outKg += s.byMaterialOut.get(material) ?? 0
    }
    return { material, inT: tonnes(inKg), outT: tonnes(outKg) }
  })
  const sortingYield = registry.sites
    .filter((s) => s.type === 'sorting')
    .map((site) => {
      const s = sites.find((x) => x.siteId === site.id)
      return {
        siteId: site.id,
        inT: tonnes(s?.inKg ?? 0),
        outT: tonnes(s?.outKg ?? 0),
        yieldPct: pct(s?.outKg ?? 0, s?.inKg ?? 0)
      }
    })
  const monthToDate = Material.options.map((material) => {
    const kg = monthToDateKg.get(material) ?? 0
    const target = targets[material]
    return {
      material,
      t: tonnes(kg),
      targetT: target ?? null,
      pct: target === undefined ? null : pct(kg, target * 1000)
    }
  })
  return { day, byMaterial, sortingYield, monthToDate }
}

/** Today's recyclables per site from the fold. */
export function recyclablesToday(state: FoldState, registry: Registry): Recyclables {
  const d = state.days.get(state.day)
  const sites: SiteRecyclables[] = []
  const mtd = new Map(state.mtdBeforeKg)
  for (const [siteId, s] of d?.sites ?? []) {
    const siteType = s.siteType ?? registry.sites.find((x) => x.id === siteId)?.type ?? 'transfer'
    sites.push({
      siteId,
      siteType,
      inKg: s.recyclableInKg,
      outKg: s.recyclableOutKg,
      byMaterialIn: s.recyclablesIn,
      byMaterialOut: s.recyclablesOut
    })
    if (siteType === 'sorting') for (const [m, kg] of s.recyclablesOut) mtd.set(m, (mtd.get(m) ?? 0) + kg)
  }
  return makeRecyclables(state.day, registry, sites, mtd)
}
