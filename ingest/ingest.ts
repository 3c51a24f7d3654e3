import type { Logger } from 'pino'
import type { DuplicateFact, Fact, RejectionFact } from '../contracts/facts.ts'
import type { RejectionNotice } from '../contracts/rejection.ts'
import { toLine } from '../influx/lineProtocol.ts'
import { createDuplicateCache, type DuplicateCache } from './duplicates.ts'
import { toPoint } from './points/index.ts'
import { processMessage, type Rejected } from './process.ts'
import type { Sink } from './sink.ts'
import type { Inbound, Limits, RegistryLookup } from './types.ts'

export interface IngestDeps {
  readonly sink: Sink
  readonly registry: RegistryLookup
  readonly limits: Limits
  readonly log: Logger
  /** Called once the facts of a message are durable (data and rejection records alike). */
  readonly onCommitted: (facts: readonly Fact[], msg: Inbound) => void
  /** Called for every rejection, after its record is durable: tell the device. */
  readonly onRejected: (deviceId: string, notice: RejectionNotice) => void
  /** Recent point identities, to record retransmissions (default: a 200k-entry LRU). */
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
}

export interface Ingest {
  /** Resolves when everything the message carried is durable; the broker acks after this. */
  handle(msg: Inbound): Promise<void>
  stats(): IngestStats
}

export function createIngest(deps: IngestDeps): Ingest {
  const { sink, registry, limits, log } = deps
  const stats: IngestStats = { messages: 0, accepted: 0, rejected: {}, lostRejectionRecords: 0, duplicates: 0 }
  const duplicateCache = deps.duplicates ?? createDuplicateCache()

  /** Data points committed again (a retransmission): write a `duplicate` record for each. */
  async function recordDuplicates(msg: Inbound, items: { fact: Fact; line: string }[]): Promise<DuplicateFact[]> {
    const dups = duplicateCache.committed(items, msg.recvMs)
    if (dups.length === 0) return dups
    const result = await sink.write(dups.map((d) => toLine(toPoint(d))))
    if (result.rejected.length > 0) log.error({ deviceId: msg.deviceId, count: result.rejected.length }, 'duplicate records refused by InfluxDB')
    const refused = new Set(result.rejected.map((r) => r.index))
    const durable = dups.filter((_, i) => !refused.has(i))
    stats.duplicates += durable.length
    return durable
  }

  async function handle(msg: Inbound): Promise<void> {
    const processed = processMessage(msg, registry, limits)
    const accepted: Fact[] = []
    const dataLines: string[] = []
    const rejected: Rejected[] = [...processed.rejected]
    for (const fact of processed.accepted) {
      try {
        dataLines.push(toLine(toPoint(fact)))
        accepted.push(fact)
      } catch (err) {
        rejected.push(storeRejection(msg, fact, (err as Error).message))
      }
    }

    const first = await sink.write([...dataLines, ...rejected.map((r) => toLine(toPoint(r.fact)))])
    const refused = new Map(first.rejected.map((r) => [r.index, r.error]))
    const committed = accepted.filter((_, i) => !refused.has(i))
    const duplicates = await recordDuplicates(msg, accepted.flatMap((fact, i) => (refused.has(i) ? [] : [{ fact, line: dataLines[i]! }])))
    const durable = rejected.filter((_, i) => !refused.has(dataLines.length + i))
    // InfluxDB refused these points for what they are (e.g. a field type conflict): keep a
    // rejection record for each instead, so every object of the message is accounted for.
    const late = accepted.flatMap((f, i) => {
      const error = refused.get(i)
      return error === undefined ? [] : [storeRejection(msg, f, error)]
    })
    if (late.length > 0) {
      const second = await sink.write(late.map((r) => toLine(toPoint(r.fact))))
      const lost = new Set(second.rejected.map((r) => r.index))
      durable.push(...late.filter((_, i) => !lost.has(i)))
      rejected.push(...late)
    }
    const lostRecords = rejected.length - durable.length
    if (lostRecords > 0) {
      stats.lostRejectionRecords += lostRecords
      log.error({ deviceId: msg.deviceId, topic: msg.topic, count: lostRecords }, 'rejection records refused by InfluxDB')
    }

    stats.messages++
    stats.accepted += committed.length
    for (const r of rejected) stats.rejected[r.fact.code] = (stats.rejected[r.fact.code] ?? 0) + 1

    const facts: Fact[] = [...committed, ...durable.map((r) => r.fact), ...duplicates]
    if (facts.length > 0) deps.onCommitted(facts, msg)
    for (const r of rejected) deps.onRejected(msg.deviceId, notice(r, msg))
  }

  return { handle, stats: () => structuredClone(stats) }
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
  return { fact: f, issues: [{ path: '', message: f.error }], ...(fact.kind === 'weighing' ? { ticketId: fact.ticketId } : {}) }
}

function notice(r: Rejected, msg: Inbound): RejectionNotice {
  return {
    v: 1,
    code: r.fact.code,
    message: r.fact.error,
    topic: msg.topic,
    ...(r.fact.index === undefined ? {} : { index: r.fact.index }),
    ...(r.fact.seq === undefined ? {} : { seq: r.fact.seq }),
    ...(r.ticketId === undefined ? {} : { ticketId: r.ticketId }),
    issues: [...r.issues],
    receivedAt: new Date(msg.recvMs).toISOString()
  }
}
