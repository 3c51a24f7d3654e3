// The local days the spool's backlog touches: what was acknowledged before this start and is not
// yet in InfluxDB. A day summary computed before (by this node, or by another node of a cluster)
// does not include these points, and the forwarder writes them to InfluxDB without passing them
// through ingest again, so nothing else would tell the summaries that those days changed
// (docs/history.md).
import { localDate } from '../lib/time.ts'
import type { Spool } from './spool.ts'

/** Line protocol's timestamp is the last field of a line, in nanoseconds. */
function lineMs(line: string): number | undefined {
  const at = line.lastIndexOf(' ')
  if (at < 0) return undefined
  const ns = line.slice(at + 1)
  if (!/^\d{10,19}$/.test(ns)) return undefined
  return Math.floor(Number(ns.slice(0, -6)))
}

/** Local days (in `tz`) of every point in the spool after its forwarding cursor, at this moment. */
export async function backlogDays(spool: Pick<Spool, 'read' | 'stats'>, tz: string): Promise<Set<string>> {
  const days = new Set<string>()
  const { committedSeq, appendedSeq } = spool.stats()
  for (let from = committedSeq + 1; from <= appendedSeq;) {
    const { records, next } = await spool.read(from, { maxRecords: 5000, maxBytes: 4 * 1024 * 1024 })
    for (const r of records) {
      for (const line of r.data.toString('utf8').split('\n')) {
        const ms = lineMs(line)
        if (ms !== undefined) days.add(localDate(ms, tz))
      }
    }
    if (next <= from) break
    from = next
  }
  return days
}
