import type { Logger } from 'pino'
import type { ConflictFact, DuplicateFact, Fact, RejectionFact } from '../contracts/facts.ts'
import type { RejectionNotice } from '../contracts/rejection.ts'
import { toLine } from '../influx/lineProtocol.ts'
import { createDuplicateCache, type DuplicateCache, type Repeats } from './duplicates.ts'
import { summariseRejections } from './notice.ts'
import { toPoint } from '../influx/schema/index.ts'
import { processMessage, type Processed, type Rejected } from './process.ts'
import type { Sink } from '../store/sink.ts'
import type { Inbound, Limits, RegistryLookup } from './types.ts'

export interface IngestDeps {
  readonly sink: Sink
  readonly registry: RegistryLookup
  readonly limits: Limits
  readonly log: Logger
  /** Called once the facts of a message are durable (data and rejection records alike). */
  readonly onCommitted: (facts: readonly Fact[], msg: Inbound) => void
  /** Called at most once per message, after its rejection records are durable: tell the device. */
  readonly onRejected: (deviceId: string, notice: RejectionNotice) => void
  /** Recent point identities, to record retransmissions and conflicts (default: a 200k-entry LRU). */
  readonly duplicates?: DuplicateCache
}

export interface IngestStats {
  messages: number
  accepted: number
  rejected: Record<string, number>
  /** Rejection records InfluxDB itself refused: should stay 0; logged at error. */
  lostRejectionRecords: number
  /** Retransmitted data points recorded as `duplicate` points. */
  duplicates: number
  /** Data points rewritten with other content, recorded as `conflict` points. */
  conflicts: number
}

export interface Ingest {
  /**
   * Resolves when everything the message carried is durable; the broker acks after this. Any
   * bytes end as data or rejection records: it rejects only when the sink is closed.
   */
  handle(msg: Inbound): Promise<void>
  stats(): IngestStats
}

const NONE_REFUSED: ReadonlyMap<number, string> = new Map()
const NO_REPEATS: readonly (DuplicateFact | ConflictFact)[] = []

export function createIngest(deps: IngestDeps): Ingest {
  const { sink, registry, limits, log } = deps
  const stats: IngestStats = {
    messages: 0,
    accepted: 0,
    rejected: {},
    lostRejectionRecords: 0,
    duplicates: 0,
    conflicts: 0
  }
  const repeatCache = deps.duplicates ?? createDuplicateCache()

  /** Writes lines; returns the indexes the store refused, with its reason. */
  async function write(lines: readonly string[]): Promise<ReadonlyMap<number, string>> {
    if (lines.length === 0) return NONE_REFUSED
    const result = await sink.write(lines)
    return result.rejected.length === 0 ? NONE_REFUSED : new Map(result.rejected.map((r) => [r.index, r.error]))
  }

  /**
   * Data points committed again: stores a `duplicate` (same content) or `conflict` (other
   * content) record each; returns those that are durable. Called only when the cache found
   * some: the usual message awaits nothing here.
   */
  async function storeRepeats(msg: Inbound, repeats: Repeats): Promise<(DuplicateFact | ConflictFact)[]> {
    const { duplicates, conflicts } = repeats
    const all = [...duplicates, ...conflicts]
    const kept: (DuplicateFact | ConflictFact)[] = []
    const lines: string[] = []
    for (const f of all) {
      const line = lineOf(f)
      if (line === undefined) continue
      kept.push(f)
      lines.push(line)
    }
    if (kept.length < all.length) {
      log.error({ deviceId: msg.deviceId }, 'duplicate/conflict record not representable in line protocol')
    }
    const refused = await write(lines)
    if (refused.size > 0) {
      log.error({ deviceId: msg.deviceId, count: refused.size }, 'duplicate/conflict records refused by InfluxDB')
    }
    const durable = kept.filter((_, i) => !refused.has(i))
    for (const f of durable) {
      if (f.kind === 'duplicate') stats.duplicates++
      else stats.conflicts++
    }
    if (conflicts.length > 0) {
      const first = conflicts[0]
      log.warn(
        { deviceId: msg.deviceId, count: conflicts.length, first },
        'data point rewritten with other content (conflict recorded)'
      )
    }
    return durable
  }

  /** Writes rejection records; returns those that are durable. */
  async function storeRejections(msg: Inbound, rejected: readonly Rejected[]): Promise<Rejected[]> {
    const withLines = rejected.flatMap((r) => {
      const line = lineOf(r.fact)
      return line === undefined ? [] : [{ r, line }]
    })
    const refused = await write(withLines.map((x) => x.line))
    const durable = withLines.filter((_, i) => !refused.has(i)).map((x) => x.r)
    const lost = rejected.length - durable.length
    if (lost > 0) {
      stats.lostRejectionRecords += lost
      log.error({ deviceId: msg.deviceId, topic: msg.topic, count: lost }, 'rejection records refused by InfluxDB')
    }
    return durable
  }

  // The usual message (every object accepted, nothing refused, no repeat) takes the path with
  // the fewest allocations: this runs once per PUBLISH on the ack path.
  async function handle(msg: Inbound): Promise<void> {
    const processed = safeProcess(msg)
    const accepted: { fact: Fact; line: string }[] = []
    const rejected: Rejected[] = processed.rejected.length === 0 ? [] : [...processed.rejected]
    const lines: string[] = []
    for (const fact of processed.accepted) {
      const line = lineOf(fact)
      if (line === undefined) rejected.push(storeRejection(msg, fact, 'line protocol cannot represent it'))
      else {
        accepted.push({ fact, line })
        lines.push(line)
      }
    }

    // Data first, with the rejection records in the same write.
    const rejectionItems: { r: Rejected; line: string }[] = []
    for (const r of rejected) {
      const line = lineOf(r.fact)
      if (line !== undefined) {
        rejectionItems.push({ r, line })
        lines.push(line)
      }
    }
    const refused = await write(lines)
    // Nothing refused (the usual case): all of it is committed, nothing to redo.
    const committed = refused.size === 0 ? accepted : accepted.filter((_, i) => !refused.has(i))
    const durable: Rejected[] = []
    for (let i = 0; i < rejectionItems.length; i++) {
      if (!refused.has(accepted.length + i)) durable.push(rejectionItems[i]!.r)
    }
    const lost = rejected.length - durable.length
    if (lost > 0) {
      stats.lostRejectionRecords += lost
      log.error({ deviceId: msg.deviceId, topic: msg.topic, count: lost }, 'rejection records refused by InfluxDB')
    }
    if (committed.length < accepted.length) {
      // InfluxDB refused these points for what they are (e.g. a field type conflict): keep a
      // rejection record for each instead, so every object of the message is accounted for.
      const late = accepted.flatMap((a, i) => {
        const error = refused.get(i)
        return error === undefined ? [] : [storeRejection(msg, a.fact, error)]
      })
      rejected.push(...late)
      durable.push(...(await storeRejections(msg, late)))
    }
    const found = repeatCache.committed(committed, msg.recvMs)
    const repeats =
      found.duplicates.length === 0 && found.conflicts.length === 0 ? NO_REPEATS : await storeRepeats(msg, found)

    stats.messages++
    stats.accepted += committed.length
    for (const r of rejected) stats.rejected[r.fact.code] = (stats.rejected[r.fact.code] ?? 0) + 1

    // Everything is durable now: the listeners' trouble is theirs, never the device's ack.
    const facts: Fact[] = []
    for (const c of committed) facts.push(c.fact)
    for (const r of durable) facts.push(r.fact)
    for (const f of repeats) facts.push(f)
    if (facts.length > 0) guard('onCommitted', () => deps.onCommitted(facts, msg))
    if (rejected.length > 0) {
      const notice = summariseRejections(rejected, processed.objects, msg)
      guard('onRejected', () => deps.onRejected(msg.deviceId, notice))
    }
  }

  /** processMessage never throws by construction; this is the last line of defence if it does. */
  function safeProcess(msg: Inbound): Processed {
    try {
      return processMessage(msg, registry, limits)
    } catch (err) {
      log.error({ err, deviceId: msg.deviceId, topic: msg.topic }, 'processMessage threw; message kept as a rejection')
      const fact: RejectionFact = {
        kind: 'rejection',
        deviceId: msg.deviceId,
        recvMs: msg.recvMs,
        code: 'INGEST_E_INTERNAL',
        msgKind: msg.kind,
        topic: msg.topic,
        error: 'ingest failed on this payload; it is kept as a rejection record',
        excerpt: ''
      }
      return { accepted: [], rejected: [{ fact, issues: [] }], objects: 1 }
    }
  }

  function guard(what: string, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      log.error({ err, listener: what }, 'ingest listener threw; the message is stored and acknowledged anyway')
    }
  }

  return { handle, stats: () => structuredClone(stats) }
}

/** A fact's line, or undefined when line protocol cannot represent it (see influx/lineProtocol.ts). */
function lineOf(fact: Fact): string | undefined {
  try {
    return toLine(toPoint(fact))
  } catch {
    return undefined
  }
}

function storeRejection(msg: Inbound, fact: Fact, error: string): Rejected {
  const f: RejectionFact = {
    kind: 'rejection',
    deviceId: msg.deviceId,
    recvMs: msg.recvMs,
    code: 'INGEST_E_STORE',
    msgKind: msg.kind,
    topic: msg.topic,
    error: `InfluxDB refused the point: ${error}`,
    excerpt: JSON.stringify(fact).slice(0, 1000),
    ...(fact.ts === undefined ? {} : { ts: fact.ts }),
    ...(fact.seq === undefined ? {} : { seq: fact.seq })
  }
  return {
    fact: f,
    issues: [{ path: '', message: f.error }],
    ...(fact.kind === 'weighing' ? { ticketId: fact.ticketId } : {})
  }
}
