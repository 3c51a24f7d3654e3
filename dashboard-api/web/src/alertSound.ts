// Which critical alerts deserve a sound and a browser notification (components/AlertSound.vue):
// the ones that open while the page watches, not those already open when it subscribed, and at
// most one sound per `minGapMs`. Pure apart from the clock passed in; unit-tested under Node.
import type { Alert } from '../../../contracts/ops.ts'

/** Ids remembered as seen; past this the oldest are forgotten (a day has far fewer criticals). */
export const MAX_KNOWN = 5000

export interface AlertWatch {
  /** A snapshot: the first one (at load, on switching on) only records what is there; a later
   *  one (a resubscription after a gap) returns the open alerts it had not seen. */
  snapshot(items: readonly Alert[]): Alert[]
  /** A delta: the open critical alerts not seen before. */
  delta(items: readonly Alert[]): Alert[]
  /** Whether to sound now for these new alerts: true at most once per `minGapMs`. */
  shouldSound(fresh: readonly Alert[], now: number): boolean
}

export function createAlertWatch(minGapMs: number): AlertWatch {
  const known = new Set<string>()
  let primed = false
  let lastSound = -Infinity
  const remember = (id: string): void => {
    known.add(id)
    if (known.size > MAX_KNOWN) known.delete(known.values().next().value as string)
  }
  const fresh = (items: readonly Alert[]): Alert[] => {
    const out: Alert[] = []
    for (const a of items) {
      if (known.has(a.id)) continue
      remember(a.id)
      if (a.state === 'open' && a.severity === 'critical') out.push(a)
    }
    return out
  }
  return {
    snapshot(items) {
      if (primed) return fresh(items)
      primed = true
      for (const a of items) remember(a.id)
      return []
    },
    delta: fresh,
    shouldSound(list, now) {
      if (list.length === 0 || now - lastSound < minGapMs) return false
      lastSound = now
      return true
    }
  }
}
