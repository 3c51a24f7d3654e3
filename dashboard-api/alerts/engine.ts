// The alert engine: the thin shell around rules.ts and lifecycle.ts. It holds the open alerts
// and today's resolved ones in memory, writes every transition (open, acknowledge, resolve)
// through the sink before it is visible, and rebuilds itself from InfluxDB at start
// (docs/architecture.md, decision 3), so a restart neither loses an alert nor opens one twice.
//
// One engine per database: two engines evaluating against the same database would each open
// their own episode. If start() finds more than one open episode of a (type, subject) — such a
// leftover — it keeps the newest and resolves the others.
import type { AlertEvent } from '../../contracts/notify.ts'
import type { Alert } from '../../contracts/ops.ts'
import type { InfluxClient } from '../../influx/client.ts'
import { alertLine } from '../../influx/schema/alert.ts'
import type { Log } from '../../lib/log.ts'
import type { Sink } from '../../store/sink.ts'
import { addDays, localDate, startOfLocalDay } from '../../lib/time.ts'
import type { AlertFilter } from '../model/types.ts'
import { DEFAULT_HYSTERESIS, plan, resolveAlert, type Hysteresis, type Streak } from './lifecycle.ts'
import { alertKey, desiredAlerts, rank } from './rules.ts'
import { loadAlerts } from './store.ts'
import type { AckResult, AlertEngine, AlertInputs, AlertRules } from './types.ts'

export interface AlertEngineDeps {
  readonly influx: InfluxClient
  readonly sink: Sink
  readonly log: Log
  readonly tz: string
  /** The thresholds, read at each evaluation so admin changes to the registry's rules apply at once. */
  readonly rules: AlertRules | (() => AlertRules)
  readonly now: () => number
  /** When an open alert whose condition is gone resolves; see lifecycle.ts. */
  readonly hysteresis?: Hysteresis
  /** start() finds open alerts opened within this many local days. Default 30. */
  readonly lookbackDays?: number
  /** Told of every stored transition of an evaluation (notifications); must not block. */
  readonly onTransitions?: (transitions: readonly Transition[]) => void
}

export interface Transition {
  readonly event: AlertEvent
  readonly alert: Alert
}

/** What a stored transition was, from the alert before it (undefined: it opened). */
function eventOf(before: Alert | undefined, after: Alert): AlertEvent {
  if (after.state === 'resolved') return 'resolved'
  if (before === undefined) return 'opened'
  const [b, a] = [rank(before.type), rank(after.type)]
  return a > b ? 'escalated' : a < b ? 'deescalated' : 'updated'
}

export class AlertEngineError extends Error {
  constructor(
    readonly code: 'API_E_ALERTS_NOT_STARTED' | 'API_E_ALERTS_CLOSED' | 'API_E_ALERT_STORE',
    message: string,
    options?: ErrorOptions
  ) {
    super(message, options)
  }

  override readonly name = 'AlertEngineError'
}

/** Newest first; the id breaks ties so the order is total. */
const newestFirst = (a: Alert, b: Alert): number => b.openedAt - a.openedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

export function createAlertEngine(deps: AlertEngineDeps): AlertEngine {
  const { influx, sink, log, tz, now } = deps
  const rules = typeof deps.rules === 'function' ? deps.rules : () => deps.rules as AlertRules
  const hysteresis = deps.hysteresis ?? DEFAULT_HYSTERESIS
  const lookbackDays = deps.lookbackDays ?? 30

  /** Every alert in memory by id: the open ones and recently resolved ones. */
  const alerts = new Map<string, Alert>()
  /** The open alert of each (type, subject). */
  const open = new Map<string, Alert>()
  let clear: ReadonlyMap<string, Streak> = new Map()
  let state: 'new' | 'starting' | 'started' | 'closed' = 'new'
  let chain: Promise<unknown> = Promise.resolve()

  /** Mutations run one at a time, so a transition is never based on a state another one is
   *  about to replace. */
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = chain.then(() => {
      if (state === 'closed') throw new AlertEngineError('API_E_ALERTS_CLOSED', 'the alert engine is closed')
      return fn()
    })
    chain = run.catch(() => undefined)
    return run
  }

  function apply(a: Alert): void {
    alerts.set(a.id, a)
    const key = alertKey(a)
    if (a.state === 'open') open.set(key, a)
    else if (open.get(key)?.id === a.id) open.delete(key)
  }

  /** Writes the transitions and returns those that are stored. A line that cannot be written (or
   *  that InfluxDB refuses) is logged and its transition left out, to be tried again. */
  async function persist(transitions: readonly Alert[]): Promise<Alert[]> {
    const lines: string[] = []
    const pending: Alert[] = []
    for (const a of transitions) {
      try {
        lines.push(alertLine(a))
        pending.push(a)
      } catch (err) {
        log.error(
          { alertId: a.id, type: a.type, subject: a.subject, err: (err as Error).message },
          'alert cannot be written as a point'
        )
      }
    }
    if (lines.length === 0) return []
    const { rejected } = await sink.write(lines)
    const bad = new Set<number>()
    for (const r of rejected) {
      bad.add(r.index)
      log.error({ alertId: pending[r.index]?.id, error: r.error }, 'InfluxDB refused an alert point')
    }
    return pending.filter((_, i) => !bad.has(i))
  }

  function startOfToday(at: number): number {
    return startOfLocalDay(localDate(at, tz), tz)
  }

  /** Resolved alerts of earlier days leave memory; list() shows open ones and today's. */
  function prune(at: number): void {
    const from = startOfToday(at)
    for (const [id, a] of alerts) {
      if (a.state === 'resolved' && (a.resolvedAt ?? 0) < from && a.updatedAt < from) alerts.delete(id)
    }
  }

  async function start(): Promise<void> {
    if (state !== 'new') return
    state = 'starting'
    try {
      const at = now()
      const today = localDate(at, tz)
      const { alerts: stored, invalid } = await loadAlerts(influx, {
        openedFrom: startOfLocalDay(addDays(today, -lookbackDays), tz),
        changedSince: startOfLocalDay(today, tz)
      })
      if (invalid > 0) log.warn({ invalid }, 'stored alert points that are not valid alerts were skipped')
      const duplicates: Alert[] = []
      for (const a of stored.sort((x, y) => -newestFirst(x, y))) {
        const key = alertKey(a)
        const earlier = a.state === 'open' ? open.get(key) : undefined
        if (earlier !== undefined) duplicates.push(resolveAlert(earlier, at))
        apply(a)
      }
      for (const a of await persist(duplicates)) apply(a)
      state = 'started'
      log.info(
        { open: open.size, loaded: stored.length, resolvedDuplicates: duplicates.length },
        'alerts rebuilt from InfluxDB'
      )
    } catch (err) {
      alerts.clear()
      open.clear()
      state = 'new'
      throw err
    }
  }

  function evaluate(inputs: AlertInputs): Promise<string[]> {
    return exclusive(async () => {
      if (state !== 'started')
        throw new AlertEngineError('API_E_ALERTS_NOT_STARTED', 'evaluate() before start() finished')
      prune(inputs.now)
      const p = plan(open, clear, desiredAlerts(inputs, rules(), tz), inputs.now, hysteresis, (id) => alerts.has(id))
      const stored = await persist([...p.resolved, ...p.updated, ...p.opened])
      const transitions = stored.map((a) => ({ event: eventOf(alerts.get(a.id), a), alert: a }))
      for (const a of stored) apply(a)
      if (transitions.length > 0) {
        try {
          deps.onTransitions?.(transitions)
        } catch (err) {
          log.error({ err }, 'alert transitions listener failed')
        }
      }
      clear = p.clear
      if (stored.length > 0) {
        log.debug(
          { opened: p.opened.length, resolved: p.resolved.length, updated: p.updated.length, stored: stored.length },
          'alerts changed'
        )
      }
      return stored.map((a) => a.id)
    })
  }

  function acknowledgeMany(ids: readonly string[], by: string, at: number, note?: string): Promise<AckResult> {
    return exclusive(async () => {
      const unknown: string[] = []
      const changes: Alert[] = []
      for (const id of new Set(ids)) {
        const a = alerts.get(id)
        if (a === undefined) unknown.push(id)
        else if (a.acknowledgedAt === null) {
          changes.push({
            ...a,
            acknowledgedAt: at,
            acknowledgedBy: by,
            ...(note === undefined || note === '' ? {} : { acknowledgedNote: note }),
            updatedAt: Math.max(a.updatedAt, at)
          })
        }
      }
      const stored = await persist(changes)
      for (const a of stored) apply(a)
      if (stored.length < changes.length)
        throw new AlertEngineError(
          'API_E_ALERT_STORE',
          `${changes.length - stored.length} acknowledgements could not be stored`
        )
      const known = [...new Set(ids)].map((id) => alerts.get(id)).filter((a): a is Alert => a !== undefined)
      return { alerts: known, unknown }
    })
  }

  async function acknowledge(alertId: string, by: string, at: number, note?: string): Promise<Alert | undefined> {
    const {
      alerts: [a]
    } = await acknowledgeMany([alertId], by, at, note)
    return a
  }

  function matches(a: Alert, filter: AlertFilter, from: number, to: number): boolean {
    const active = a.openedAt < to && (a.resolvedAt === null || a.resolvedAt >= from)
    const updated = a.updatedAt >= from && a.updatedAt < to
    return (
      (active || updated) &&
      (filter.state === undefined || a.state === filter.state) &&
      (filter.severity === undefined || a.severity === filter.severity) &&
      (filter.type === undefined || a.type === filter.type)
    )
  }

  function dayBounds(day: string): { from: number; to: number } {
    return { from: startOfLocalDay(day, tz), to: startOfLocalDay(addDays(day, 1), tz) }
  }

  /** Default day: today — open alerts plus those resolved or updated today. A day includes the
   *  alerts active during it (opened before its end, not resolved before its start) and those
   *  updated (e.g. acknowledged) during it. Only alerts in memory are listed; see history(). */
  function list(filter: AlertFilter = {}): Alert[] {
    const { from, to } = dayBounds(filter.day ?? localDate(now(), tz))
    return [...alerts.values()].filter((a) => matches(a, filter, from, to)).sort(newestFirst)
  }

  async function history(filter: AlertFilter & { readonly day: string }): Promise<Alert[]> {
    const { from, to } = dayBounds(filter.day)
    const { alerts: stored } = await loadAlerts(influx, {
      openedFrom: startOfLocalDay(addDays(filter.day, -lookbackDays), tz),
      openedBefore: to,
      changedSince: from
    })
    return stored.filter((a) => matches(a, filter, from, to)).sort(newestFirst)
  }

  async function close(): Promise<void> {
    // The sink belongs to the caller (it is shared with ingest); only wait for our own writes.
    const last = chain
    state = 'closed'
    await last
  }

  return { start, evaluate, list, history, acknowledge, acknowledgeMany, get: (id) => alerts.get(id), close }
}
