// Recent point identities, so a retransmission can be recorded as a duplicate (issue 3 item 3).
// InfluxDB overwrites a point written again with the same identity (design decision 4): the
// numbers stay right, but the retransmission would be invisible after a restart. Ingest keeps
// the identities it committed recently and writes a `duplicate` point when one comes back.
//
// Bounded LRU (a Map in insertion order, refreshed on a hit): 200k identities of ~100
// characters are some 40 MB. A retransmission older than the cache, or one after a restart of
// the broker node, is not recorded as a duplicate; it still overwrites its own point, so no
// number counts it twice.
import type { DuplicateFact, Fact } from '../contracts/facts.ts'

export const DEFAULT_DUPLICATE_CACHE_ENTRIES = 200_000

type DataFact = Extract<Fact, { kind: 'weighing' | 'fill' | 'position' | 'status' }>

export interface DuplicateCache {
  /**
   * Records the committed data facts (with their line-protocol lines) and returns a duplicate
   * fact for each whose point identity was already committed recently.
   */
  committed(items: readonly { readonly fact: Fact; readonly line: string }[], recvMs: number): DuplicateFact[]
  size(): number
}

/**
 * A point's identity from its line: the series key (up to the first unescaped space) and the
 * timestamp (the last token; string fields are quoted, so a space inside one is never last).
 */
export function lineIdentity(line: string): string {
  let i = 0
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i)
    if (c === 92 /* \ */) i++
    else if (c === 32 /* space */) break
  }
  return `${line.slice(0, i)} ${line.slice(line.lastIndexOf(' ') + 1)}`
}

const isData = (f: Fact): f is DataFact => f.kind === 'weighing' || f.kind === 'fill' || f.kind === 'position' || f.kind === 'status'

export function createDuplicateCache(opts: { maxEntries?: number } = {}): DuplicateCache {
  const max = opts.maxEntries ?? DEFAULT_DUPLICATE_CACHE_ENTRIES
  const seen = new Map<string, true>()
  return {
    committed(items, recvMs) {
      const out: DuplicateFact[] = []
      for (const { fact, line } of items) {
        if (!isData(fact)) continue
        const identity = lineIdentity(line)
        if (seen.delete(identity)) {
          out.push({
            kind: 'duplicate',
            deviceId: fact.deviceId,
            ts: fact.ts,
            recvMs,
            dataKind: fact.kind,
            identity,
            ...(fact.seq === undefined ? {} : { seq: fact.seq }),
            ...(fact.kind === 'weighing' ? { ticketId: fact.ticketId } : {})
          })
        } else if (seen.size >= max) {
          seen.delete(seen.keys().next().value!)
        }
        seen.set(identity, true)
      }
      return out
    },
    size: () => seen.size
  }
}
