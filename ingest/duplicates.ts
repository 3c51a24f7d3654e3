// Recent point identities, so a retransmission can be recorded as a duplicate, and one with
// other content as a conflict. InfluxDB overwrites a point written again with the same identity
// (last write wins, influx/schema/README.md): the numbers stay consistent, but the retransmission and
// the change would be invisible after a restart. Ingest keeps the identities it committed
// recently, with the content each had, and writes a `duplicate` point when one comes back
// unchanged, or a `conflict` point (old and new fields) when it comes back changed.
//
// Bounded LRU (a Map in insertion order, refreshed on a hit): 200k identities of ~100
// characters plus their fields (≤ 512 characters, ~150 for a ticket) are some 80 MB. A
// retransmission older than the cache, or one after a restart of the broker node, is not
// recorded; it still overwrites its own point, and the live fold follows the same rule, so no
// number counts it twice or disagrees with the store.
import type { ConflictFact, DuplicateFact, Fact } from '../contracts/facts.ts'
import { FIELD } from '../influx/schema/names.ts'

export const DEFAULT_DUPLICATE_CACHE_ENTRIES = 200_000
/** Fields kept per identity, and the most a conflict record quotes of each side. */
export const MAX_CONTENT_CHARS = 512

type DataFact = Extract<Fact, { kind: 'weighing' | 'fill' | 'position' | 'status' }>

export interface Repeats {
  readonly duplicates: DuplicateFact[]
  readonly conflicts: ConflictFact[]
}

export interface DuplicateCache {
  /**
   * Records the committed data facts (with their line-protocol lines) and returns, for each
   * whose point identity was already committed recently, a duplicate fact (same content) or a
   * conflict fact (other content).
   */
  committed(items: readonly { readonly fact: Fact; readonly line: string }[], recvMs: number): Repeats
  size(): number
}

/** Index of the space that ends a line's series key (the first unescaped space). */
function seriesEnd(line: string): number {
  let i = 0
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i)
    if (c === 92 /* \ */) i++
    else if (c === 32 /* space */) break
  }
  return i
}

/**
 * A point's identity from its line: the series key (up to the first unescaped space) and the
 * timestamp (the last token; string fields are quoted, so a space inside one is never last).
 */
export function lineIdentity(line: string): string {
  return `${line.slice(0, seriesEnd(line))} ${line.slice(line.lastIndexOf(' ') + 1)}`
}

const RECV_MS_LAST = new RegExp(`(^|,)${FIELD.recvMs}=-?\\d+i$`)

/**
 * What a line says, apart from its identity and its arrival time: the field set without
 * `recv_ms` (always the last field of a data point, so the pattern is anchored at the end and
 * cannot match inside a quoted string).
 */
export function lineContent(line: string): string {
  const fields = line.slice(seriesEnd(line) + 1, line.lastIndexOf(' '))
  return fields.replace(RECV_MS_LAST, '').slice(0, MAX_CONTENT_CHARS)
}

const isData = (f: Fact): f is DataFact => f.kind === 'weighing' || f.kind === 'fill' || f.kind === 'position' || f.kind === 'status'

export function createDuplicateCache(opts: { maxEntries?: number } = {}): DuplicateCache {
  const max = opts.maxEntries ?? DEFAULT_DUPLICATE_CACHE_ENTRIES
  const seen = new Map<string, string>()
  return {
    committed(items, recvMs) {
      const duplicates: DuplicateFact[] = []
      const conflicts: ConflictFact[] = []
      for (const { fact, line } of items) {
        if (!isData(fact)) continue
        const identity = lineIdentity(line)
        const content = lineContent(line)
        const previous = seen.get(identity)
        if (previous !== undefined) {
          seen.delete(identity)
          const common = {
            deviceId: fact.deviceId,
            ts: fact.ts,
            recvMs,
            dataKind: fact.kind,
            identity,
            ...(fact.seq === undefined ? {} : { seq: fact.seq }),
            ...(fact.kind === 'weighing' ? { ticketId: fact.ticketId } : {})
          }
          if (previous === content) duplicates.push({ kind: 'duplicate', ...common })
          else conflicts.push({ kind: 'conflict', ...common, previous, current: content })
        } else if (seen.size >= max) {
          seen.delete(seen.keys().next().value!)
        }
        seen.set(identity, content)
      }
      return { duplicates, conflicts }
    },
    size: () => seen.size
  }
}
