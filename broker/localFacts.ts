import type { Logger } from 'pino'
import type { Fact } from '../contracts/facts.ts'

// In-process consumers of committed facts (dashboard-api in the node's own process) get the
// facts as values, without a JSON round trip through the MQTT router. Delivery is deferred
// to the next turn of the event loop so a consumer's work never runs inside ingest's commit
// (before the PUBACK), and a consumer that throws is logged and counted, never propagated.

export type FactsListener = (facts: readonly Fact[]) => void

export interface LocalFacts {
  publish(facts: readonly Fact[]): void
  subscribe(listener: FactsListener): () => void
  stats(): { listenerErrors: number; pendingBatches: number }
}

/**
 * `maxPending` bounds the batches waiting for the next turn; at the bound they are handed
 * over at once, in order (the caller pays the consumers' time instead of memory growing).
 */
export function createLocalFacts(deps: { log: Logger; maxPending: number }): LocalFacts {
  const listeners = new Set<FactsListener>()
  let pending: Array<readonly Fact[]> = []
  let scheduled: NodeJS.Immediate | undefined
  let listenerErrors = 0

  const flush = (): void => {
    scheduled = undefined
    const batches = pending
    pending = []
    for (const facts of batches) {
      for (const l of listeners) {
        try {
          l(facts)
        } catch (err) {
          listenerErrors++
          // Sampled: one line per power of two, so a listener failing on every batch cannot flood the log.
          if ((listenerErrors & (listenerErrors - 1)) === 0)
            deps.log.error({ err, listenerErrors }, 'facts listener failed')
        }
      }
    }
  }

  return {
    publish(facts) {
      if (listeners.size === 0) return
      pending.push(facts)
      if (pending.length >= deps.maxPending) {
        if (scheduled) clearImmediate(scheduled)
        flush()
      } else if (!scheduled) {
        scheduled = setImmediate(flush)
      }
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    stats: () => ({ listenerErrors, pendingBatches: pending.length })
  }
}
