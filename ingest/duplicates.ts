// Recent point identities, so a retransmission can be recorded as a duplicate, and one with
// other content as a conflict. InfluxDB overwrites a point written again with the same identity
// (last write wins, influx/schema/README.md): the numbers stay consistent, but the retransmission and
// the change would be invisible after a restart. Ingest keeps the identities it committed
// recently, with the content each had, and writes a `duplicate` point when one comes back
// unchanged, or a `conflict` point (old and new fields) when it comes back changed.
//
// Bounded LRU (a Map in insertion order, refreshed on a hit), sized in bytes
// (QINGYUN_DUPLICATE_CACHE_BYTES). Each entry is keyed by a SHA-256 digest of the identity, not
// by the identity itself: an identity cut from its line with slice() keeps the whole line alive
// (and a line with a Chinese tag is stored as UTF-16), some 400-500 bytes an entry where the
// digest costs under 100. The content kept for conflict records is copied flat for the same
// reason and counted at two bytes a character. A retransmission older than the cache, or one
// after a restart of the broker node, is not recorded; it still overwrites its own point, and
// the live fold follows the same rule, so no number counts it twice or disagrees with the
// store. Two identities sharing a digest (odds under 2^-200 at 200k entries) would record one
// spurious duplicate or conflict point, never change a number.
import crypto from 'node:crypto'
import type { ConflictFact, DuplicateFact, Fact } from '../contracts/facts.ts'
import { lineIdentity, seriesEnd } from '../influx/lineProtocol.ts'
import { FIELD } from '../influx/schema/names.ts'

/** What one entry costs on the V8 heap besides its content: measured 85 bytes (digest string and Map slot), rounded up. */
export const DUPLICATE_CACHE_ENTRY_BYTES = 96
/** 16 MiB: some 100,000 identities with their content (more for fill and position points). */
export const DEFAULT_DUPLICATE_CACHE_BYTES = 16 * 1024 * 1024
/** Fields kept per identity, and the most a conflict record quotes of each side. */
export const MAX_CONTENT_CHARS = 512

type DataFact = Extract<Fact, { kind: 'weighing' | 'fill' | 'position' | 'status' }>

export interface Repeats {
  readonly duplicates: readonly DuplicateFact[]
  readonly conflicts: readonly ConflictFact[]
}

/** What `committed` returns when nothing came back (the usual case): one shared, frozen value. */
const NONE: Repeats = Object.freeze({ duplicates: Object.freeze([]), conflicts: Object.freeze([]) })

export interface DuplicateCache {
  /**
   * Records the committed data facts (with their line-protocol lines) and returns, for each
   * whose point identity was already committed recently, a duplicate fact (same content) or a
   * conflict fact (other content).
   */
  committed(items: readonly { readonly fact: Fact; readonly line: string }[], recvMs: number): Repeats
  size(): number
}

const RECV_MS_LAST = new RegExp(`(^|,)${FIELD.recvMs}=-?\\d+i$`)

/**
 * What a line says, apart from its identity and its arrival time: the field set without
 * `recv_ms` (always the last field of a data point, so the pattern is anchored at the end and
 * cannot match inside a quoted string).
 */
export { lineIdentity }

export function lineContent(line: string): string {
  const fields = line.slice(seriesEnd(line) + 1, line.lastIndexOf(' '))
  return fields.replace(RECV_MS_LAST, '').slice(0, MAX_CONTENT_CHARS)
}

const isData = (f: Fact): f is DataFact =>
  f.kind === 'weighing' || f.kind === 'fill' || f.kind === 'position' || f.kind === 'status'

/**
 * The identity's SHA-256 as a fresh flat 32-character one-byte string: nothing of the line it
 * came from stays reachable. One-shot `crypto.hash` (Node ≥ 20.12) where there is one: a
 * sixth of the time of a Hash object per message.
 */
const digestOf: (identity: string) => string =
  typeof crypto.hash === 'function'
    ? (identity) => crypto.hash('sha256', identity, 'binary')
    : (identity) => crypto.createHash('sha256').update(identity).digest('binary')
/** A flat copy: a slice of the line would keep the whole line alive. */
const flat = (s: string): string => Buffer.from(s, 'utf8').toString('utf8')
const entryBytes = (content: string): number => DUPLICATE_CACHE_ENTRY_BYTES + 2 * content.length

export function createDuplicateCache(opts: { maxEntries?: number; maxBytes?: number } = {}): DuplicateCache {
  const maxEntries = opts.maxEntries ?? Number.POSITIVE_INFINITY
  const maxBytes =
    opts.maxBytes ?? (opts.maxEntries === undefined ? DEFAULT_DUPLICATE_CACHE_BYTES : Number.POSITIVE_INFINITY)
  const seen = new Map<string, string>()
  let bytes = 0
  // The oldest entry comes from one long-lived iterator, not a fresh `seen.entries()` each time:
  // V8 leaves a deleted entry as a hole at the front of the table until it is rehashed, and a
  // fresh iterator walks every hole before the first live entry, so evicting from the front
  // cost O(holes) each — a quarter of the node's CPU in the demo's catch-up. The iterator keeps
  // its place across deletions and rehashes and sees entries set after it was made (a hit moved
  // to the end comes round again in order). It is made at the first eviction, not before: an
  // iterator keeps the tables the Map outgrew alive until it next moves, which while the cache
  // fills (no evictions) would be every table it ever had. Once done it stays done: a new one.
  let oldestFirst: MapIterator<[string, string]> | undefined
  const nextOldest = (): [string, string] | undefined => {
    let r = oldestFirst?.next()
    if (r === undefined || r.done) {
      oldestFirst = seen.entries()
      r = oldestFirst.next()
    }
    return r.done ? undefined : r.value
  }
  const evictFor = (incoming: number): void => {
    while (seen.size > 0 && (seen.size >= maxEntries || bytes + incoming > maxBytes)) {
      const [oldest, content] = nextOldest()!
      seen.delete(oldest)
      bytes -= entryBytes(content)
    }
  }
  return {
    committed(items, recvMs) {
      let duplicates: DuplicateFact[] | undefined
      let conflicts: ConflictFact[] | undefined
      for (const { fact, line } of items) {
        if (!isData(fact)) continue
        const identity = lineIdentity(line)
        const key = digestOf(identity)
        const content = lineContent(line)
        const previous = seen.get(key)
        if (previous !== undefined) {
          seen.delete(key)
          bytes -= entryBytes(previous)
          const common = {
            deviceId: fact.deviceId,
            ts: fact.ts,
            recvMs,
            dataKind: fact.kind,
            identity,
            ...(fact.seq === undefined ? {} : { seq: fact.seq }),
            ...(fact.kind === 'weighing' ? { ticketId: fact.ticketId } : {})
          }
          if (previous === content) (duplicates ??= []).push({ kind: 'duplicate', ...common })
          else (conflicts ??= []).push({ kind: 'conflict', ...common, previous, current: content })
        }
        const kept = flat(content)
        evictFor(entryBytes(kept))
        seen.set(key, kept)
        bytes += entryBytes(kept)
      }
      return duplicates || conflicts ? { duplicates: duplicates ?? [], conflicts: conflicts ?? [] } : NONE
    },
    size: () => seen.size
  }
}
