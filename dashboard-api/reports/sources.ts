// Where a report's numbers come from: the running node's model (REST), or InfluxDB directly with
// the node's configuration (`qingyun report`, which works whether or not a node runs). For a
// closed day both read the same aggregates and the same stored day summary, so the files agree.
import type { Registry } from '../../contracts/registry.ts'
import { resolveRules } from '../../contracts/registry.ts'
import type { InfluxClient } from '../../influx/client.ts'
import type { Scheduler } from '../../lib/clock.ts'
import type { Log } from '../../lib/log.ts'
import { addDays, localDate, startOfLocalDay } from '../../lib/time.ts'
import { completenessOn, recyclablesOn, sitesOn } from '../model/history.ts'
import { latestBefore, readFactChunks } from '../model/rebuild.ts'
import { createDaySummaries } from '../model/summary.ts'
import {
  summariseDay,
  summaryCompleteness,
  type BinDay,
  type DaySummary,
  type VehicleDay
} from '../model/summaryFold.ts'
import type { Model } from '../model/types.ts'
import type { ReportSource } from './build.ts'

const empty = (day: string): DaySummary => ({ day, devices: new Map(), bins: new Map(), vehicles: new Map() })

/** The node's model: closed days from their summaries, today from the live views (no distance yet). */
export function modelSource(model: Model, tz: string): ReportSource {
  return {
    today: () => model.today(),
    sites: (day) => model.sites(day),
    recyclables: (day) => model.recyclables(day),
    completeness: (day) => model.completeness('device', day),
    async daySummary(day) {
      const today = model.today()
      if (day < today) {
        const s = await model.daySummary?.(day)
        if (s) return { summary: s, closed: true }
      }
      if (day > today) return { summary: empty(day), closed: false }
      const start = startOfLocalDay(day, tz)
      const bins = new Map<string, BinDay>()
      for (const b of model.bins())
        if (b.lastReadingAt !== null && b.lastReadingAt >= start)
          bins.set(b.binId, {
            readings: 1,
            maxFillPct: b.fillPct,
            overflowed: b.status === 'overflow',
            emptied: b.emptiedToday
          })
      const vehicles = new Map<string, VehicleDay>()
      for (const v of model.vehicles())
        if (v.lastFixAt !== null && v.lastFixAt >= start)
          vehicles.set(v.vehicleId, {
            fixes: 0,
            km: 0,
            zoneViolations: v.zoneViolationsToday,
            speedViolations: v.speedViolationsToday
          })
      return { summary: { day, devices: new Map(), bins, vehicles }, closed: false }
    }
  }
}

export interface InfluxSourceDeps {
  readonly influx: InfluxClient
  readonly registry: Registry
  readonly tz: string
  readonly now: () => number
  readonly log: Log
  readonly timers: Scheduler
}

/**
 * InfluxDB alone. A closed day's summary is read, or computed and stored as the node would; the
 * day in progress is folded from its points (slower, and not stored: it is not closed).
 */
export function influxSource(deps: InfluxSourceDeps): ReportSource & { close(): Promise<void> } {
  const { influx, registry, tz } = deps
  const ctx = { tz, rules: resolveRules(registry.rules), zones: registry.zones ?? [] }
  // A command waits for a day's summary as long as it takes (a busy day: a minute or more).
  const summaries = createDaySummaries({ ...deps, registry: () => registry, ctx: () => ctx, readWaitMs: 30 * 60_000 })
  const today = (): string => localDate(deps.now(), tz)
  return {
    today,
    sites: (day) => sitesOn(influx, registry, day, tz),
    recyclables: (day) => recyclablesOn(influx, registry, day, tz),
    async completeness(day) {
      if (day < today()) return summaryCompleteness(await summaries.get(day), 'device', registry)
      return completenessOn(influx, registry, day, 'device', ctx)
    },
    async daySummary(day) {
      if (day < today()) return { summary: await summaries.get(day), closed: true }
      const start = startOfLocalDay(day, tz)
      const end = startOfLocalDay(addDays(day, 1), tz)
      const summary = await summariseDay(day, readFactChunks(influx, start, end), registry, ctx, (state) =>
        latestBefore(influx, state, start, ctx)
      )
      return { summary, closed: false }
    },
    close: () => summaries.close()
  }
}
