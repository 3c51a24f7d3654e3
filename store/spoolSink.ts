// The Sink ingest writes to: lines become durable in the local spool (one group fsync per batch
// of whatever arrived meanwhile), and only then does ingest let the broker send the PUBACK. The
// forwarder (store/forwarder.ts) carries them to InfluxDB afterwards. docs/architecture.md,
// decision 1: a PUBACK means durable on the node's own disk.
import type { Sink, SinkResult, LineRejection } from './sink.ts'
import type { Spool } from './spool.ts'

/** When each append became durable, so the forwarder can tell how far behind it is in time. */
export interface AppendClock {
  /** Durable time (epoch ms) of the oldest record after `seq`, or undefined when none is known. */
  oldestAfter(seq: number): number | undefined
  /** Forget what lies at or before `seq`. */
  forget(seq: number): void
}

export interface SpoolSink extends Sink {
  readonly appendClock: AppendClock
}

/** At most this many (seq, time) marks are kept; beyond it neighbours merge (the earlier time
 *  wins, so the lag reported is never less than the truth). */
const MAX_MARKS = 4096

/** `reserve`: this sink's appends may use the spool's small reserve past its bound (see Spool.append). */
export function createSpoolSink(deps: {
  spool: Pick<Spool, 'append'>
  now?: () => number
  reserve?: boolean
}): SpoolSink {
  const now = deps.now ?? Date.now
  // marks[i] = [last seq of an append, when it became durable]; seq ascending.
  let marks: Array<[number, number]> = []
  let closed = false

  const appendClock: AppendClock = {
    oldestAfter(seq) {
      for (const [last, ms] of marks) if (last > seq) return ms
      return undefined
    },
    forget(seq) {
      let i = 0
      while (i < marks.length && marks[i]![0] <= seq) i++
      if (i > 0) marks = marks.slice(i)
    }
  }

  function mark(last: number, ms: number): void {
    marks.push([last, ms])
    if (marks.length > MAX_MARKS) {
      const merged: Array<[number, number]> = []
      for (let i = 0; i < marks.length; i += 2) {
        const a = marks[i]!
        const b = marks[i + 1]
        merged.push(b ? [b[0], a[1]] : a)
      }
      marks = merged
    }
  }

  async function write(lines: readonly string[]): Promise<SinkResult> {
    if (closed) throw new Error('spool sink is closed')
    const rejected: LineRejection[] = []
    const records: Buffer[] = []
    lines.forEach((line, index) => {
      // One point per line is what the forwarder's batching and InfluxDB's bisection count on.
      if (/[\r\n]/.test(line)) rejected.push({ index, error: 'line contains a line break' })
      else records.push(Buffer.from(line, 'utf8'))
    })
    if (records.length > 0) {
      const { last } = await deps.spool.append(records, deps.reserve ? { reserve: true } : undefined)
      mark(last, now())
    }
    return { rejected }
  }

  return {
    write,
    appendClock,
    async close() {
      closed = true
    }
  }
}
