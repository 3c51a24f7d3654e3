// What this start inherited in the spool: acknowledged before, not yet in InfluxDB.
// - Its local days: a day summary computed before (by this node, or by another node of a
//   cluster) does not include these points, and the forwarder writes them to InfluxDB without
//   passing them through ingest again, so nothing else would tell the summaries that those days
//   changed (docs/history.md).
// - When the last messages before this start arrived, and the days they touched: a node killed
//   between its spool's fsync and its publish to Redis, or before it stored its mark that a
//   past day changed, leaves the other nodes without those facts and those days' summaries
//   stale; once the backlog is stored, the other nodes read back from InfluxDB what arrived
//   about then (node/cluster.ts) and this node marks those days changed again.
import { localDate } from '../lib/time.ts'
import type { Spool } from './spool.ts'

export interface InheritedBacklog {
  /** Local days (in the node's tz) of every point in the backlog. */
  readonly days: Set<string>
  /** Earliest arrival (`recv_ms`, else the point's time) in the backlog, epoch ms. */
  readonly earliestMs: number | undefined
  /** Latest arrival among the spool's last records, forwarded or not (the previous run's last
   *  messages), epoch ms; undefined when the spool holds none. */
  readonly lastArrivalMs: number | undefined
  /** Among those last records: each local day of their points, with its latest arrival. */
  readonly recentDays: ReadonlyMap<string, number>
  /** The last record of the backlog: it is stored once the forwarder is past it. */
  readonly lastSeq: number
}

/** Line protocol's timestamp is the last field of a line, in nanoseconds. */
function lineMs(line: string): number | undefined {
  const at = line.lastIndexOf(' ')
  if (at < 0) return undefined
  const ns = line.slice(at + 1)
  if (!/^\d{10,19}$/.test(ns)) return undefined
  return Math.floor(Number(ns.slice(0, -6)))
}

/** The `recv_ms` integer field every fact's point carries (influx/schema). */
const RECV_MS = /[ ,]recv_ms=(\d{1,16})i[ ,]/

/** How many of the spool's last records are read for the previous run's last messages: a minute
 *  at the sample city's peak rate. */
const LAST_RECORDS = 200_000

function arrivals(data: Buffer, each: (arrivedMs: number, pointMs: number) => void): void {
  for (const line of data.toString('utf8').split('\n')) {
    const ms = lineMs(line)
    if (ms === undefined) continue
    const recv = RECV_MS.exec(line)
    each(recv ? Number(recv[1]) : ms, ms)
  }
}

/** The spool's backlog after its forwarding cursor, at this moment. */
export async function inheritedBacklog(spool: Pick<Spool, 'read' | 'stats'>, tz: string): Promise<InheritedBacklog> {
  const days = new Set<string>()
  let earliestMs: number | undefined
  let lastArrivalMs: number | undefined
  const recentDays = new Map<string, number>()
  const { committedSeq, appendedSeq } = spool.stats()
  // One pass over the backlog and the last records (forwarded records stay until their whole
  // segment goes, so the last ones are usually there); the two ranges mostly overlap.
  const tailFrom = Math.max(1, appendedSeq - LAST_RECORDS + 1)
  for (let from = Math.min(committedSeq + 1, tailFrom); from <= appendedSeq;) {
    const { records, next } = await spool.read(from, { maxRecords: 5000, maxBytes: 4 * 1024 * 1024 })
    for (const r of records)
      arrivals(r.data, (arrived, point) => {
        const day = localDate(point, tz)
        if (r.seq > committedSeq) {
          days.add(day)
          if (earliestMs === undefined || arrived < earliestMs) earliestMs = arrived
        }
        if (r.seq >= tailFrom) {
          if (lastArrivalMs === undefined || arrived > lastArrivalMs) lastArrivalMs = arrived
          if ((recentDays.get(day) ?? -Infinity) < arrived) recentDays.set(day, arrived)
        }
      })
    if (next <= from) break
    from = next
  }
  return { days, earliestMs, lastArrivalMs, recentDays, lastSeq: appendedSeq }
}
