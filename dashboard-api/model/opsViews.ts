// The operations centre's views (contracts/opsCentre.ts) over the model's state: today's from
// the fold, other days' from InfluxDB, the track always from InfluxDB (the fold keeps no fixes).
import type { Exceptions, SiteStock, VehicleTrack } from '../../contracts/opsCentre.ts'
import { hhmmMinutes, siteCutoff, siteToleranceT, type Registry } from '../../contracts/registry.ts'
import type { InfluxClient } from '../../influx/client.ts'
import type { Now } from '../../lib/clock.ts'
import { addDays, startOfLocalDay } from '../../lib/time.ts'
import { siteExceptions, type ExceptionInput } from '../fold/exceptions.ts'
import type { FoldContext, FoldState } from '../fold/index.ts'
import { projectSite } from '../fold/projection.ts'
import { projectionInput, siteToday } from '../fold/sites.ts'
import { stockProjection, stockSeries } from '../fold/stock.ts'
import { sitesOn, ticketsOn } from './history.ts'
import { vehicleTrack } from './track.ts'

export interface OpsViewsDeps {
  readonly influx: InfluxClient
  readonly tz: string
  readonly now: Now
  /** Today's fold state (read only after the model is ready). */
  readonly state: () => FoldState
  readonly registry: () => Registry
  readonly ctx: () => FoldContext
  readonly trackMaxFixes: number
}

/** Tickets of a past day read for its stock chart at most (a site's day has a few hundred). */
const PAST_TICKETS_MAX = 5000
export const DEFAULT_STOCK_STEP_MINUTES = 15

export function createOpsViews(d: OpsViewsDeps) {
  const cutoffAt = (dayStart: number, cutoff: string): number => dayStart + hhmmMinutes(cutoff) * 60_000

  /** `day` undefined: today, from the fold. */
  async function exceptions(day?: string): Promise<Exceptions> {
    const registry = d.registry()
    const t = d.now()
    if (day === undefined) {
      const s = d.state()
      const inputs: ExceptionInput[] = registry.sites.map((site) => {
        const projection = projectionInput(s, site, t)
        return {
          balance: siteToday(s, site, t),
          projection,
          cutoffAt: projection.cutoffMs,
          outboundKg: (s.days.get(s.day)?.sites.get(site.id)?.outTickets ?? []).map(([, kg]) => kg)
        }
      })
      return { day: s.day, at: t, items: siteExceptions(inputs, t) }
    }
    const dayStart = startOfLocalDay(day, d.tz)
    const balances = await sitesOn(d.influx, registry, day, d.tz)
    const flagged = balances.filter((b) => b.projection.status === 'will-not-clear' || b.projection.overCapacity)
    const inputs = await Promise.all(
      flagged.map(async (balance) => {
        const tickets = await ticketsOn(d.influx, day, d.tz, balance.siteId, PAST_TICKETS_MAX)
        return {
          balance,
          cutoffAt: cutoffAt(dayStart, balance.cutoff),
          outboundKg: tickets.filter((x) => x.direction === 'out').map((x) => x.netKg)
        }
      })
    )
    return { day, at: t, items: siteExceptions(inputs, t) }
  }

  async function siteStock(siteId: string, day?: string, stepMinutes = DEFAULT_STOCK_STEP_MINUTES) {
    const registry = d.registry()
    const site = registry.sites.find((s) => s.id === siteId)
    if (!site) return undefined
    const stepMs = stepMinutes * 60_000
    const t = d.now()
    if (day === undefined) {
      const s = d.state()
      const sd = s.days.get(s.day)?.sites.get(siteId)
      const p = projectionInput(s, site, t)
      const projection = projectSite(p)
      const b = siteToday(s, site, t)
      const exception = siteExceptions(
        [{ balance: b, projection: p, cutoffAt: p.cutoffMs, outboundKg: (sd?.outTickets ?? []).map(([, kg]) => kg) }],
        t
      )[0]
      const out: SiteStock = {
        siteId,
        day: s.day,
        stepMinutes,
        openingT: b.openingT,
        toleranceT: b.toleranceT,
        cutoff: b.cutoff,
        cutoffAt: p.cutoffMs,
        actual: stockSeries({
          openingKg: p.openingKg,
          inTickets: sd?.inTickets ?? [],
          outTickets: sd?.outTickets ?? [],
          dayStart: s.start,
          dayEnd: s.end,
          stepMs,
          until: t
        }),
        projected: stockProjection(p, stepMs),
        status: projection.status,
        reason: exception?.reason ?? null
      }
      return out
    }
    const dayStart = startOfLocalDay(day, d.tz)
    const dayEnd = startOfLocalDay(addDays(day, 1), d.tz)
    const [balances, tickets] = await Promise.all([
      sitesOn(d.influx, registry, day, d.tz),
      ticketsOn(d.influx, day, d.tz, siteId, PAST_TICKETS_MAX)
    ])
    const b = balances.find((x) => x.siteId === siteId)!
    const cut = cutoffAt(dayStart, siteCutoff(site))
    const exception = siteExceptions([{ balance: b, cutoffAt: cut, outboundKg: [] }], t)[0]
    const pick = (dir: 'in' | 'out'): [number, number][] =>
      tickets.filter((x) => x.direction === dir).map((x) => [x.ts, x.netKg])
    const out: SiteStock = {
      siteId,
      day,
      stepMinutes,
      openingT: b.openingT,
      toleranceT: siteToleranceT(site),
      cutoff: siteCutoff(site),
      cutoffAt: cut,
      actual: stockSeries({
        openingKg: Math.round(b.openingT * 1000),
        inTickets: pick('in'),
        outTickets: pick('out'),
        dayStart,
        dayEnd,
        stepMs,
        // A future day has nothing yet; a past day runs to its end.
        until: Math.min(dayEnd, t)
      }),
      projected: [],
      status: b.projection.status,
      reason: exception?.reason ?? null
    }
    return out
  }

  async function track(vehicleId: string, day: string): Promise<VehicleTrack | undefined> {
    const registry = d.registry()
    const vehicle = registry.vehicles.find((v) => v.id === vehicleId)
    if (!vehicle) return undefined
    return vehicleTrack({
      influx: d.influx,
      registry,
      rules: d.ctx().rules,
      tz: d.tz,
      vehicle,
      day,
      maxFixes: d.trackMaxFixes
    })
  }

  return { exceptions, siteStock, track }
}
