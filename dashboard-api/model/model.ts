// The operations model: the day fold over committed facts, rebuilt from InfluxDB at
// start, rolled over at local midnight, with alerts re-evaluated as things change. The thin
// shell around the pure fold (docs/conventions.md, rule 4): it owns the subscription, the timers and the
// queries; every number comes from dashboard-api/fold.
import type { Fact } from '../../contracts/facts.ts'
import type { BinView, CitySummary, CompletenessRow, VehicleView } from '../../contracts/ops.ts'
import { resolveRules, type Registry } from '../../contracts/registry.ts'
import type { InfluxClient } from '../../influx/client.ts'
import type { Log } from '../../lib/log.ts'
import { realTimers, type Now, type Scheduler } from '../../lib/clock.ts'
import { addDays, localDate, startOfLocalDay } from '../../lib/time.ts'
import type { RegistryStore } from '../../registry/store.ts'
import { createPresenter, matchesQuery, type Presenter } from '../alerts/present.ts'
import { createAlertSchedule } from '../alerts/schedule.ts'
import type { AlertEngine, NodeHealth } from '../alerts/types.ts'
import type { FactSource } from '../factSource.ts'
import { binView } from '../fold/bins.ts'
import { completenessRows } from '../fold/completeness.ts'
import { deviceView, rejectionRate } from '../fold/devices.ts'
import { foldFact, rollover, type FoldContext, type FoldState } from '../fold/index.ts'
import {
  cityHourlyKg,
  hourPoints,
  makeCity,
  recyclablesToday,
  siteHourlyToday,
  siteToday,
  tonnesPerHour
} from '../fold/sites.ts'
import { createOpsViews } from './opsViews.ts'
import { vehicleView } from '../fold/vehicles.ts'
import { deviceRejectionsOn } from './rejections.ts'
import { completenessOn, historyRows, hourlyOn, recyclablesOn, sitesOn, ticketsOn } from './history.ts'
import { monthStartOf, openingKg, rebuildDay, recoveredKg } from './rebuild.ts'
import { createDaySummaries } from './summary.ts'
import { summaryCompleteness } from './summaryFold.ts'
import type { Change, Model } from './types.ts'

export interface ModelDeps {
  readonly facts: FactSource
  readonly influx: InfluxClient
  readonly registry: Pick<RegistryStore, 'current' | 'onChange'>
  /** The model starts it, evaluates it and closes it; absent: no alerts. */
  readonly alerts?: AlertEngine | undefined
  readonly tz: string
  readonly now: Now
  readonly log: Log
  readonly timers?: Scheduler
  /**
   * Resolves once every fact committed so far is in InfluxDB (the node's forwarder drains its
   * spool behind the acks); rejects when that takes too long. The model reads InfluxDB only after
   * it: for today's rebuild, and to refresh opening stocks after a late ticket. Absent: at once.
   */
  readonly stored?: () => Promise<void>
  /** The node's own health for the alert rules (the spool); absent: no node alerts. */
  readonly health?: () => NodeHealth
  /** Alerts are evaluated at most this often (and at least this often, for time-driven rules). */
  readonly alertIntervalMs?: number
  /** How often to look for local midnight. */
  readonly tickMs?: number
  /** A closed day is summarised this long after local midnight (docs/history.md); default 15 min. */
  readonly summaryCloseDelayMs?: number
  /** A day made dirty by late data is summarised again this long after the last late fact; default 5 s. */
  readonly summaryRecomputeDelayMs?: number
  /** The devices are the simulator's (`qingyun start --demo`); the city view says so. */
  readonly simulated?: boolean
  /** Fixes a track replay reads at most (QINGYUN_TRACK_MAX_FIXES). */
  readonly trackMaxFixes?: number
}

const contextOf = (registry: Registry, tz: string): FoldContext => ({
  tz,
  rules: resolveRules(registry.rules),
  zones: registry.zones ?? []
})

export function createModel(deps: ModelDeps): Model {
  const { influx, tz, now, log } = deps
  const timers = deps.timers ?? realTimers
  const alertIntervalMs = deps.alertIntervalMs ?? 2000
  const tickMs = deps.tickMs ?? 1000
  const listeners = new Set<(c: Change) => void>()
  let registry = deps.registry.current()
  let ctx = contextOf(registry, tz)
  let index = indexRegistry(registry)
  let state: FoldState | undefined
  let buffer: Fact[] | undefined = []
  let subscribed = false
  let closed = false
  let tick: unknown
  let unsubscribeRegistry: (() => void) | undefined

  const summaries = createDaySummaries({
    influx,
    tz,
    registry: () => registry,
    ctx: () => ctx,
    now,
    log,
    timers,
    stored: deps.stored,
    closeDelayMs: deps.summaryCloseDelayMs,
    recomputeDelayMs: deps.summaryRecomputeDelayMs
  })

  const emit = (c: Change): void => {
    for (const l of listeners) {
      try {
        l(c)
      } catch (err) {
        log.error({ err }, 'model change listener failed')
      }
    }
  }

  // Opening stock and month to date re-read from InfluxDB after a late ticket of an earlier
  // day or a rollover: authoritative, and idempotent where the fold's own adjustment is not
  // (after a restart it no longer knows which late tickets it has seen). Serialised; a request
  // while one runs makes it run once more.
  let refreshing: Promise<void> | undefined
  let refreshAgain = false
  function refreshOpening(): void {
    if (refreshing) {
      refreshAgain = true
      return
    }
    refreshing = (async () => {
      do {
        refreshAgain = false
        const s = state
        if (!s || closed) break
        const day = s.day
        try {
          const monthStart = monthStartOf(day, tz)
          // The late ticket that asked for this refresh is committed; let InfluxDB have it first.
          await deps.stored?.()
          const [opening, mtd] = await Promise.all([
            openingKg(influx, s.start),
            recoveredKg(influx, monthStart, s.start)
          ])
          if (state !== s || s.day !== day) {
            refreshAgain = true
            continue
          }
          s.openingKg.clear()
          for (const [k, v] of opening) s.openingKg.set(k, v)
          s.mtdBeforeKg.clear()
          for (const [k, v] of mtd) s.mtdBeforeKg.set(k, v)
          for (const site of registry.sites) emit({ channel: 'site', siteId: site.id })
          emit({ channel: 'city' })
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'opening stock refresh failed; keeping the folded value')
        }
      } while (refreshAgain && !closed)
      refreshing = undefined
    })()
  }

  function checkRollover(): void {
    if (!state) return
    const t = now()
    if (t < state.end) return
    const day = localDate(t, tz)
    const closedDay = state.day
    rollover(state, day, ctx)
    log.info({ day }, 'local midnight: new day')
    summaries.closeDay(closedDay)
    emit({ channel: 'day' })
    refreshOpening()
    scheduleAlerts()
  }

  function apply(f: Fact): void {
    const s = state!
    // A fact of a closed day (by event time) changes that day's summary.
    const ts = f.kind === 'rejection' ? (f.ts ?? f.recvMs) : f.ts
    if (ts < s.start) summaries.markDirty(localDate(ts, tz))
    const r = foldFact(s, f, ctx)
    if (r.pastDay) refreshOpening()
    for (const c of r.changes) {
      emit(c)
      if (c.channel === 'device') {
        const ref = index.deviceRef.get(c.deviceId)
        if (ref?.binId) emit({ channel: 'bin', binId: ref.binId })
        if (ref?.vehicleId && f.kind === 'status') emit({ channel: 'vehicle', vehicleId: ref.vehicleId })
      }
    }
    if (r.changes.length > 0) scheduleAlerts()
  }

  function onFacts(facts: readonly Fact[]): void {
    if (closed) return
    if (buffer) {
      buffer.push(...facts)
      return
    }
    checkRollover()
    for (const f of facts) apply(f)
  }

  // Alerts: when to evaluate is the schedule's (dashboard-api/alerts/schedule.ts).
  const alertSchedule =
    deps.alerts &&
    createAlertSchedule({
      engine: deps.alerts,
      intervalMs: alertIntervalMs,
      timers,
      now,
      ready: () => state !== undefined,
      inputs: (t) => ({
        now: t,
        day: state!.day,
        sites: sitesToday(t),
        bins: binsNow(),
        vehicles: vehiclesNow(t),
        devices: devicesNow(t),
        rejections: rejectionRate(state!, t),
        districtOf: (deviceId) => index.deviceDistrict.get(deviceId),
        siteOf: (deviceId) => index.deviceRef.get(deviceId)?.siteId,
        ...(deps.health ? { node: deps.health() } : {})
      }),
      onChanged: (changed) => {
        for (const alertId of changed) emit({ channel: 'alert', alertId })
        emit({ channel: 'city' })
      },
      log
    })
  const scheduleAlerts = (): void => {
    if (!closed) alertSchedule?.schedule()
  }

  // Alerts are read with the registry's names as they are now; indexed once per registry version.
  let presented: { readonly of: Registry; readonly present: Presenter } | undefined
  const presenter = (): Presenter => {
    if (presented?.of !== registry) presented = { of: registry, present: createPresenter(registry, tz) }
    return presented.present
  }

  // A registered device never heard from (lastSeenAt null after the rebuild's look-back) is
  // "never reported": shown here, and not alerted as offline (alerts/rules.ts).
  const neverReported = (deviceId: string): boolean => (state!.devices.get(deviceId)?.lastSeenAt ?? null) === null
  const withNeverReported = (rows: CompletenessRow[]): CompletenessRow[] =>
    rows.map((r) => {
      if (r.by === 'device') return index.deviceRef.has(r.key) ? { ...r, neverReported: neverReported(r.key) } : r
      const n = registry.devices.filter((d) => d.siteId === r.key && neverReported(d.id)).length
      return { ...r, devicesNeverReported: n }
    })

  const simulated = deps.simulated ?? false
  const ops = createOpsViews({
    influx,
    tz,
    now,
    state: () => state!,
    registry: () => registry,
    ctx: () => ctx,
    trackMaxFixes: deps.trackMaxFixes ?? 50_000
  })
  const sitesToday = (t: number) => registry.sites.map((site) => siteToday(state!, site, t))
  const batteryOf = (deviceId: string | undefined): number | null =>
    deviceId === undefined ? null : (state!.devices.get(deviceId)?.battery?.value ?? null)
  const binsNow = (): BinView[] =>
    registry.bins.map((b) => binView(state!, b, batteryOf(index.binDevice.get(b.id)), ctx.rules))
  const vehiclesNow = (t: number): VehicleView[] => registry.vehicles.map((v) => vehicleView(state!, v, t, ctx))
  const devicesNow = (t: number) => registry.devices.map((d) => deviceView(state!, d, t, ctx.rules))
  const isToday = (day: string | undefined): boolean => {
    checkRollover()
    return day === undefined || day === state!.day
  }
  const alertCounts = (day: string): CitySummary['alerts'] => {
    const list = deps.alerts?.list(day === state!.day ? { state: 'open' } : { day }) ?? []
    return {
      critical: list.filter((a) => a.severity === 'critical').length,
      warning: list.filter((a) => a.severity === 'warning').length,
      info: list.filter((a) => a.severity === 'info').length
    }
  }

  function runTick(): void {
    if (closed) return
    checkRollover()
    tick = timers.setTimeout(runTick, tickMs)
  }

  return {
    async start() {
      // May be called again after a failure (node/system.ts retries while InfluxDB is away):
      // nothing is kept until every read from InfluxDB has succeeded; facts arriving meanwhile
      // wait in the buffer.
      if (!subscribed) {
        await deps.facts.subscribe(onFacts)
        subscribed = true
      }
      // Facts committed before the subscription are read from InfluxDB, so they must be there;
      // those after it wait in the buffer (the overlap is de-duplicated by point identity).
      await deps.stored?.()
      const day = localDate(now(), tz)
      const rebuilt = await rebuildDay(influx, day, now(), ctx)
      if (deps.alerts) await deps.alerts.start()
      state = rebuilt.state
      const pending = buffer ?? []
      buffer = undefined
      checkRollover()
      for (const f of pending) apply(f)
      log.info({ day, facts: rebuilt.facts, overlap: pending.length }, 'today rebuilt from InfluxDB')
      unsubscribeRegistry = deps.registry.onChange((next) => {
        registry = next
        ctx = contextOf(next, tz)
        index = indexRegistry(next)
        emit({ channel: 'city' })
        for (const s of next.sites) emit({ channel: 'site', siteId: s.id })
        scheduleAlerts()
      })
      tick = timers.setTimeout(runTick, tickMs)
      scheduleAlerts()
      summaries.closeDay(addDays(day, -1))
    },
    async close() {
      closed = true
      timers.clearTimeout(tick)
      alertSchedule?.close()
      unsubscribeRegistry?.()
      listeners.clear()
      await deps.facts.close()
      await refreshing
      await summaries.close()
      await deps.alerts?.close()
    },
    ready: () => state !== undefined,
    today: () => localDate(now(), tz),
    async city(day) {
      if (isToday(day)) {
        const t = now()
        const balances = sitesToday(t)
        const d = state!.days.get(state!.day)
        let inKg = 0
        let outKg = 0
        for (const s of d?.sites.values() ?? []) {
          inKg += s.inKg
          outKg += s.outKg
        }
        const h = cityHourlyKg(state!)
        return makeCity(state!.day, registry, balances, { inKg, outKg }, hourPoints(state!.start, h.inKg, h.outKg, t), {
          tph: tonnesPerHour(state!, t),
          alerts: alertCounts(state!.day),
          simulated,
          elapsedMs: t - state!.start,
          dayMs: state!.end - state!.start
        })
      }
      const [balances, hourly] = await Promise.all([sitesOn(influx, registry, day!, tz), hourlyOn(influx, day!, tz)])
      const inKg = hourly.reduce((a, p) => a + (p.inT ?? 0) * 1000, 0)
      const outKg = hourly.reduce((a, p) => a + (p.outT ?? 0) * 1000, 0)
      const dayMs = startOfLocalDay(addDays(day!, 1), tz) - startOfLocalDay(day!, tz)
      return makeCity(day!, registry, balances, { inKg, outKg }, hourly, {
        tph: 0,
        alerts: alertCounts(day!),
        simulated,
        elapsedMs: day! < state!.day ? dayMs : 0,
        dayMs
      })
    },
    async sites(day) {
      return isToday(day) ? sitesToday(now()) : sitesOn(influx, registry, day!, tz)
    },
    async site(siteId, day) {
      const site = registry.sites.find((s) => s.id === siteId)
      if (!site) return undefined
      if (isToday(day)) return siteToday(state!, site, now())
      return (await sitesOn(influx, registry, day!, tz)).find((b) => b.siteId === siteId)
    },
    async tickets(siteId, day, limit = 500) {
      return ticketsOn(influx, day ?? localDate(now(), tz), tz, siteId, limit)
    },
    async siteHourly(siteId, day) {
      return isToday(day) ? siteHourlyToday(state!, siteId, now()) : hourlyOn(influx, day!, tz, siteId)
    },
    history: (from, to, siteId) => historyRows(influx, registry, from, to, tz, siteId),
    async recyclables(day) {
      return isToday(day) ? recyclablesToday(state!, registry) : recyclablesOn(influx, registry, day!, tz)
    },
    exceptions: (day) => ops.exceptions(isToday(day) ? undefined : day!),
    siteStock: (siteId, day, stepMinutes) => ops.siteStock(siteId, isToday(day) ? undefined : day!, stepMinutes),
    track: (vehicleId, day) => ops.track(vehicleId, day ?? localDate(now(), tz)),
    bins(filter = {}) {
      checkRollover()
      return binsNow().filter(
        (b) =>
          (filter.status === undefined || b.status === filter.status) &&
          (filter.district === undefined || b.district === filter.district) &&
          (filter.stream === undefined || b.stream === filter.stream)
      )
    },
    vehicles(filter = {}) {
      checkRollover()
      return vehiclesNow(now()).filter(
        (v) =>
          (filter.state === undefined || v.state === filter.state) &&
          (filter.district === undefined || v.district === filter.district) &&
          (filter.type === undefined || v.type === filter.type)
      )
    },
    async completeness(by, day) {
      if (isToday(day))
        return withNeverReported(completenessRows(state!.days.get(state!.day), state!.day, by, registry))
      if (day! < state!.day) return summaryCompleteness(await summaries.get(day!), by, registry)
      return completenessOn(influx, registry, day!, by, ctx)
    },
    deviceRejections: (deviceId, day, page) => deviceRejectionsOn(influx, deviceId, day, tz, page),
    async daySummary(day) {
      checkRollover()
      return day < state!.day ? summaries.get(day) : undefined
    },
    summariesSettled: () => summaries.settled(),
    markDayChanged: (day) => summaries.markDirty(day),
    devices: () => devicesNow(now()),
    rejectionRate: () => rejectionRate(state!, now()),
    alerts: (filter = {}) => {
      const { state, severity, type, day } = filter
      const present = presenter()
      const lang = filter.lang ?? 'zh'
      const stored = deps.alerts?.list({ state, severity, type, day }) ?? []
      return stored.map((a) => present(a, lang)).filter((a) => matchesQuery(a, filter))
    },
    async acknowledge(alertId, by, at, note) {
      const a = await deps.alerts?.acknowledge(alertId, by, at ?? now(), note)
      if (a) emit({ channel: 'alert', alertId })
      return a && presenter()(a, 'zh')
    },
    async acknowledgeMany(alertIds, by, note, lang = 'zh', at) {
      if (!deps.alerts) return { alerts: [], unknown: [...alertIds] }
      const r = await deps.alerts.acknowledgeMany(alertIds, by, at ?? now(), note)
      for (const a of r.alerts) emit({ channel: 'alert', alertId: a.id })
      if (r.alerts.length > 0) emit({ channel: 'city' })
      const present = presenter()
      return { alerts: r.alerts.map((a) => present(a, lang)), unknown: r.unknown }
    },
    onChange(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    }
  }
}

function indexRegistry(r: Registry) {
  const deviceRef = new Map(r.devices.map((d) => [d.id, d]))
  const binDevice = new Map<string, string>()
  for (const d of r.devices) if (d.binId !== undefined && !binDevice.has(d.binId)) binDevice.set(d.binId, d.id)
  const districtOf = (list: readonly { id: string; district: string }[]) => new Map(list.map((e) => [e.id, e.district]))
  const [sites, bins, vehicles] = [districtOf(r.sites), districtOf(r.bins), districtOf(r.vehicles)]
  const deviceDistrict = new Map<string, string>()
  for (const d of r.devices) {
    const district =
      (d.siteId && sites.get(d.siteId)) || (d.binId && bins.get(d.binId)) || (d.vehicleId && vehicles.get(d.vehicleId))
    if (district) deviceDistrict.set(d.id, district)
  }
  return { deviceRef, binDevice, deviceDistrict }
}
