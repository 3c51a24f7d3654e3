// The forwarder: tails the spool and writes its records to InfluxDB through the group-commit
// writer, then moves the spool's durable cursor past them. It runs off the ack path: devices
// were acknowledged when their lines became durable in the spool (docs/architecture.md,
// decision 1), so an InfluxDB outage delays history, not devices.
//
// Idempotent by construction: a batch is committed only after InfluxDB took it, so a crash in
// between replays it, and a point written twice overwrites itself (docs/architecture.md,
// decision 4). Transport trouble is the writer's to retry (forever, with backoff); a line
// InfluxDB refuses for what it is (HTTP 400 isolated to the line) is reported to `onRefused`
// and passed over, so one bad line never wedges the backlog behind it.
import type { Sink } from './sink.ts'
import type { Log } from '../lib/log.ts'
import type { AppendClock } from './spoolSink.ts'
import type { Spool } from './spool.ts'

export interface ForwarderDeps {
  readonly spool: Pick<Spool, 'read' | 'commit' | 'waitFor' | 'stats'>
  /** The group-commit writer in front of InfluxDB. */
  readonly writer: Sink
  readonly log: Pick<Log, 'info' | 'warn' | 'error'>
  readonly appendClock?: AppendClock
  /** Records per InfluxDB write (the writer may merge concurrent ones). */
  readonly batchRecords?: number
  /** Bytes per read from the spool. */
  readonly batchBytes?: number
  /**
   * With less than a batch waiting, the next write waits until this long after the previous
   * one started (default 100 ms) unless someone waits for it (`forwardedTo`) or the forwarder
   * closes: at a few thousand messages a second each group commit would otherwise be an HTTP
   * request of its own to InfluxDB, which costs the node and influxd more CPU per point than
   * the points themselves. Devices never wait for this (they were acked at the spool).
   */
  readonly lingerMs?: number
  /** InfluxDB refused `line` for what it is. The device was acknowledged long ago: record it. */
  readonly onRefused?: (line: string, error: string) => void
  readonly now?: () => number
}

export interface ForwarderStats {
  /** Everything up to this spool seq is in InfluxDB. */
  readonly forwardedSeq: number
  readonly forwardedRecords: number
  readonly refusedLines: number
  readonly batches: number
  /** Records durable in the spool and not yet in InfluxDB. */
  readonly lagRecords: number
  /** Failed spool reads or cursor commits, each retried. */
  readonly spoolErrors: number
  /** Age of the oldest record not yet in InfluxDB (0 when caught up). */
  readonly lagMs: number
  /** Store lag of the last batch: durable in the spool → in InfluxDB. */
  readonly lastBatchLagMs: number | null
}

export interface Forwarder {
  /** Resolves once every record up to `seq` is in InfluxDB (or the forwarder is closed). */
  forwardedTo(seq: number): Promise<void>
  stats(): ForwarderStats
  /** Stops after the batch in flight; what is left stays in the spool for the next start. */
  close(): Promise<void>
}

const CLOSED = Symbol('closed')
const RETRY_MIN_MS = 100
const RETRY_MAX_MS = 5000
export const DEFAULT_LINGER_MS = 100
const LINGER_SLICE_MS = 20

export function startForwarder(deps: ForwarderDeps): Forwarder {
  const { spool, writer, log } = deps
  const now = deps.now ?? Date.now
  const batchRecords = deps.batchRecords ?? 5000
  const batchBytes = deps.batchBytes ?? 4 * 1024 * 1024
  const lingerMs = deps.lingerMs ?? DEFAULT_LINGER_MS
  let lastWriteAt = -Infinity
  let hurry: (() => void) | undefined
  let forwardedSeq = spool.stats().committedSeq
  let forwardedRecords = 0
  let refusedLines = 0
  let batches = 0
  let lastBatchLagMs: number | null = null
  let spoolErrors = 0
  let closed = false
  const waiters: Array<{ seq: number; go: () => void }> = []
  let wake: () => void = () => undefined
  const stopped = new Promise<void>((resolve) => (wake = resolve))

  const settle = (): void => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (closed || waiters[i]!.seq <= forwardedSeq) waiters.splice(i, 1)[0]!.go()
    }
  }

  /**
   * The spool's own I/O failing (EIO, a disk that is full — the cursor is written in place and
   * needs no space, but a read may still fail): retry with backoff rather than stop, since a
   * forwarder that stops leaves the spool to fill up and every device waiting. Nothing is
   * skipped: the same read or commit is tried again.
   */
  async function persist<T>(what: string, op: () => Promise<T>): Promise<T | typeof CLOSED> {
    for (let delay = RETRY_MIN_MS; ; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
      try {
        const r = await op()
        if (delay > RETRY_MIN_MS) log.info({ what }, 'spool I/O for the forwarder works again')
        return r
      } catch (err) {
        if (closed) return CLOSED
        if (delay === RETRY_MIN_MS) log.error({ err, what }, 'spool I/O for the forwarder failed; retrying')
        spoolErrors++
        await Promise.race([new Promise((r) => setTimeout(r, delay).unref()), stopped])
        if (closed) return CLOSED
      }
    }
  }

  /** Waits out the linger before reading from `from` (see ForwarderDeps.lingerMs). */
  async function linger(from: number): Promise<void> {
    // In slices, so that a batch filling up meanwhile goes at once.
    for (;;) {
      const wait = lastWriteAt + lingerMs - now()
      if (closed || wait <= 0 || waiters.length > 0 || spool.stats().appendedSeq - from + 1 >= batchRecords) return
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        new Promise<void>((r) => {
          timer = setTimeout(r, Math.min(wait, LINGER_SLICE_MS))
          hurry = r
        }),
        stopped
      ])
      clearTimeout(timer)
      hurry = undefined
    }
  }

  async function loop(): Promise<void> {
    let from = forwardedSeq + 1
    while (!closed) {
      try {
        const durable = spool.waitFor(from)
        durable.catch(() => undefined) // may reject after `stopped` won the race: not unhandled
        await Promise.race([durable, stopped])
      } catch {
        break // the spool closed
      }
      if (closed) break
      await linger(from)
      if (closed) break
      const read = await persist('read', () => spool.read(from, { maxRecords: batchRecords, maxBytes: batchBytes }))
      if (read === CLOSED) break
      const { records, next } = read
      if (records.length > 0) {
        lastWriteAt = now()
        const lines = records.map((r) => r.data.toString('utf8'))
        const { rejected } = await writer.write(lines)
        for (const r of rejected) {
          refusedLines++
          deps.onRefused?.(lines[r.index]!, r.error)
        }
        forwardedRecords += records.length
        batches++
        const appended = deps.appendClock?.oldestAfter(from - 1)
        if (appended !== undefined) lastBatchLagMs = Math.max(0, now() - appended)
      }
      // `next` is past anything the spool skipped as damaged, too (it reported that itself).
      if (next - 1 > forwardedSeq) {
        if ((await persist('commit', () => spool.commit(next - 1))) === CLOSED) break
        forwardedSeq = next - 1
        deps.appendClock?.forget(forwardedSeq)
        settle()
      }
      from = next
    }
  }

  const running = loop().catch((err: unknown) => {
    if (closed) return
    // Not expected: the writer and the spool I/O above retry forever. Nothing acked is lost —
    // it stays in the spool — but nothing moves to InfluxDB until the node restarts.
    log.error({ err }, 'forwarder stopped; restart the node')
  })

  return {
    forwardedTo(seq) {
      if (seq <= forwardedSeq || closed) return Promise.resolve()
      const p = new Promise<void>((go) => waiters.push({ seq, go }))
      hurry?.()
      return p
    },
    stats() {
      const s = spool.stats()
      const oldest = deps.appendClock?.oldestAfter(forwardedSeq)
      return {
        forwardedSeq,
        forwardedRecords,
        refusedLines,
        batches,
        spoolErrors,
        lagRecords: Math.max(0, s.appendedSeq - forwardedSeq),
        lagMs: s.appendedSeq > forwardedSeq && oldest !== undefined ? Math.max(0, now() - oldest) : 0,
        lastBatchLagMs
      }
    },
    async close() {
      closed = true
      wake()
      settle()
      await running
    }
  }
}
