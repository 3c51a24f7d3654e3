// When alerts are evaluated, and with which thresholds. The model owns the views and says when
// something changed; this decides when the engine looks: at most every intervalMs, soon after a
// change, and on every tick of that interval anyway (offline devices and cut-offs change with
// time alone).
import type { Logger } from 'pino'
import { resolveRules, type Registry } from '../../contracts/registry.ts'
import type { AlertEngine, AlertInputs, AlertRules } from './types.ts'

/** The alert engine's thresholds from the registry's rules. */
export function alertRules(registry: Registry): AlertRules {
  const r = resolveRules(registry.rules)
  return {
    binNearFullPct: r.binNeedsServicePct,
    binOverflowPct: r.binOverflowPct,
    lowBatteryPct: r.lowBatteryPct,
    rejectionSpikeMin: 20,
    rejectionSpikeShare: 0.2,
    offlineGroupMin: r.offlineGroupMin
  }
}

export interface ScheduleTimers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export interface AlertScheduleDeps {
  readonly engine: AlertEngine
  readonly intervalMs: number
  readonly timers: ScheduleTimers
  readonly now: () => number
  /** False while there are no views to evaluate yet (today not rebuilt). */
  readonly ready: () => boolean
  /** A snapshot of the views at `t`. */
  readonly inputs: (t: number) => AlertInputs
  /** The alerts an evaluation opened, resolved or updated. */
  readonly onChanged: (alertIds: readonly string[]) => void
  readonly log: Pick<Logger, 'error'>
}

export interface AlertSchedule {
  /** Something changed: evaluate soon (at most every intervalMs). */
  schedule(): void
  /** No evaluation starts after this. */
  close(): void
}

export function createAlertSchedule(deps: AlertScheduleDeps): AlertSchedule {
  const { engine, intervalMs, timers, now, log } = deps
  let closed = false
  let lastEval = -Infinity
  let evaluating = false
  let timer: unknown
  function schedule(): void {
    if (closed || timer !== undefined || evaluating) return
    const wait = Math.max(0, lastEval + intervalMs - now())
    timer = timers.setTimeout(() => {
      timer = undefined
      void evaluateAlerts()
    }, wait)
  }
  async function evaluateAlerts(): Promise<void> {
    if (closed || !deps.ready()) return
    evaluating = true
    lastEval = now()
    try {
      const changed = await engine.evaluate(deps.inputs(now()))
      if (changed.length > 0) deps.onChanged(changed)
    } catch (err) {
      log.error({ err }, 'alert evaluation failed')
    } finally {
      evaluating = false
      if (!closed)
        timer = timers.setTimeout(() => {
          timer = undefined
          void evaluateAlerts()
        }, intervalMs)
    }
  }
  return {
    schedule,
    close() {
      closed = true
      timers.clearTimeout(timer)
    }
  }
}
