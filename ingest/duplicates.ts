// Recent point identities, so a retransmission can be recorded as a duplicate (issue 3 item 3).
// InfluxDB overwrites a point written again with the same identity (design decision 4): the
// numbers stay right, but the retransmission would be invisible after a restart. Ingest keeps
// the identities it committed recently and writes a `duplicate` point when one comes back.
//
// Bounded LRU (a Map in insertion order, refreshed on a hit), sized in bytes
// (QINGYUN_DUPLICATE_CACHE_BYTES). Each entry is keyed by a 128-bit digest of the identity, not
// by the identity itself: an identity cut from its line with slice() keeps the whole line alive
// (and a line with a Chinese tag is stored as UTF-16), some 400-500 bytes an entry where the
// digest costs under 80. A retransmission older than the cache, or one after a restart of the
// broker node, is not recorded as a duplicate; it still overwrites its own point, so no number
// counts it twice. Two identities sharing a digest (odds about 2^-90 at 200k entries) would
// record one spurious duplicate point, never change a number.
import { createHash } from 'node:crypto'
import type { DuplicateFact, Fact } from '../contracts/facts.ts'

/** What one entry costs on the V8 heap: measured 69 bytes (digest string and Map slot), rounded up. */
export const DUPLICATE_CACHE_ENTRY_BYTES = 80
/** 16 MiB: some 210,000 identities, 100 s of 2,000 msg/s. */
export const DEFAULT_DUPLICATE_CACHE_BYTES = 16 * 1024 * 1024

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

/** A fresh flat 16-character string: nothing of the line it came from stays reachable. */
const digestOf = (identity: string): string => createHash('sha256').update(identity).digest().toString('latin1', 0, 16)

export function createDuplicateCache(opts: { maxEntries?: number; maxBytes?: number } = {}): DuplicateCache {
  const max = Math.max(1, opts.maxEntries ?? Math.floor((opts.maxBytes ?? DEFAULT_DUPLICATE_CACHE_BYTES) / DUPLICATE_CACHE_ENTRY_BYTES))
  const seen = new Map<string, true>()
  return {
    committed(items, recvMs) {
      const out: DuplicateFact[] = []
      for (const { fact, line } of items) {
        if (!isData(fact)) continue
        const identity = lineIdentity(line)
        const key = digestOf(identity)
        if (seen.delete(key)) {
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
        seen.set(key, true)
      }
      return out
    },
    size: () => seen.size
  }
}
