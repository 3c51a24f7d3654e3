import type { Logger } from 'pino'
import { openCursor } from './cursor.ts'
import { SpoolError } from './errors.ts'
import { encodeHeader, HEADER_BYTES } from './frame.ts'
import { nodeFs, syncDir, type SpoolFs } from './fsio.ts'
import { createReader, type ReadOptions, type ReadResult } from './reader.ts'
import { recover, type RecoveryReport } from './recover.ts'
import { bytesAfter } from './segment.ts'
import { openSegmentWriter } from './segmentWriter.ts'
import { createLatency, type LatencyHistogram, type LatencyStats } from './stats.ts'

export interface SpoolOptions {
  readonly dir: string
  /** Unforwarded bytes (frames) the spool may hold; at the limit `append` waits. */
  readonly maxBytes: number
  /**
   * Roll to a new segment file past this size. Space comes back a whole forwarded segment at a
   * time, so the default is an eighth of maxBytes (1–64 MiB): the disk holds at most about
   * maxBytes + segmentBytes.
   */
  readonly segmentBytes?: number
  /** Largest single record; bounds what a reader trusts from a frame's length field. */
  readonly maxRecordBytes?: number
  readonly fs?: SpoolFs
  readonly now?: () => number
  readonly log?: Logger
  /** Backoff between retries of a failed write+fsync, doubling from min to max. */
  readonly retryMs?: { readonly min: number; readonly max: number }
  readonly onFull?: (full: boolean) => void
}

export interface SpoolStats {
  readonly bytesOnDisk: number
  readonly unforwardedBytes: number
  readonly unforwardedRecords: number
  readonly segments: number
  readonly appendedSeq: number
  readonly committedSeq: number
  readonly appends: number
  readonly fsync: LatencyStats
  readonly full: boolean
  readonly waitingAppends: number
  readonly writeErrors: number
  readonly lastWriteError: string | null
  readonly recovery: RecoveryReport
}

export interface Spool {
  /**
   * Durable once resolved. `reserve`: may go past `maxBytes` by a small reserve (1/16 of it, at
   * most 1 MiB) without waiting behind other appends — for the node's own records (an alert
   * saying the spool is full must be writable while it is).
   */
  append(records: readonly Buffer[], opts?: { readonly reserve?: boolean }): Promise<{ first: number; last: number }>
  commit(uptoSeq: number): Promise<void>
  read(fromSeq: number, opts?: ReadOptions): Promise<ReadResult>
  /** Resolves once a record with seq ≥ `seq` is durable (for a forwarder tailing the spool). */
  waitFor(seq: number): Promise<void>
  stats(): SpoolStats
  /** Every fsync's latency as a histogram (for Prometheus; stats().fsync has its quantiles). */
  fsyncHistogram(): LatencyHistogram
  /** What opening found and repaired (also in `stats().recovery`). */
  readonly recovery: RecoveryReport
  close(): Promise<void>
}

interface Pending {
  readonly bufs: Buffer[]
  readonly sizes: number[]
  readonly first: number
  readonly last: number
  readonly bytes: number
  readonly resolve: (r: { first: number; last: number }) => void
  readonly reject: (e: Error) => void
}

export async function openSpool(o: SpoolOptions): Promise<Spool> {
  if (!Number.isSafeInteger(o.maxBytes) || o.maxBytes <= HEADER_BYTES) {
    throw new RangeError('spool maxBytes must be an integer above the frame header size')
  }
  const fs = o.fs ?? nodeFs
  const now = o.now ?? (() => performance.now())
  const log = o.log
  const segmentBytes = o.segmentBytes ?? Math.min(64 * 1024 * 1024, Math.max(1024 * 1024, Math.floor(o.maxBytes / 8)))
  const maxRecordBytes = Math.min(o.maxRecordBytes ?? 16 * 1024 * 1024, o.maxBytes - HEADER_BYTES)
  const retry = o.retryMs ?? { min: 50, max: 5000 }
  const rec = await recover(fs, o.dir, maxRecordBytes)
  const segments = rec.segments
  let cursor = rec.cursor
  /** The cursor as it is on disk for sure: what segment deletion goes by. */
  let durableCursor = cursor
  let durableSeq = rec.lastSeq
  let nextSeq = durableSeq + 1
  if (rec.report.cut.length || rec.report.lost.length || rec.report.cursorDamaged) {
    log?.warn({ recovery: rec.report }, 'spool recovered with damage')
  }
  const latency = createLatency()
  const cursorFile = await openCursor(fs, o.dir, cursor)
  const writer = await openSegmentWriter({
    fs,
    dir: o.dir,
    segments,
    nextSeq,
    segmentBytes,
    now,
    log,
    forwarded: () => cursor,
    onFsync: (ms) => latency.add(ms)
  })
  const reader = createReader({ fs, segments, maxRecordBytes })
  let unforwarded = segments.reduce((n, s) => n + bytesAfter(s, cursor), 0)
  let pendingBytes = 0
  let appends = 0
  let writeErrors = 0
  let lastWriteError: string | null = null
  let closed = false
  let full = false
  const queue: Pending[] = []
  const spaceWaiters: Array<{ bytes: number; go: () => void; stop: (e: Error) => void }> = []
  const seqWaiters: Array<{ seq: number; go: () => void; stop: (e: Error) => void }> = []
  let flushing: Promise<void> | undefined
  let wakeRetry: (() => void) | undefined
  const closedError = (): SpoolError => new SpoolError('SPOOL_E_CLOSED', 'spool is closed')

  const refreshFull = (): void => {
    const isFull = spaceWaiters.length > 0 || unforwarded + pendingBytes >= o.maxBytes
    if (isFull === full) return
    full = isFull
    log?.[full ? 'warn' : 'info']({ full, unforwardedBytes: unforwarded, maxBytes: o.maxBytes }, 'spool full changed')
    o.onFull?.(full)
  }
  const admit = (): void => {
    while (spaceWaiters.length && unforwarded + pendingBytes + spaceWaiters[0]!.bytes <= o.maxBytes) {
      const w = spaceWaiters.shift()!
      pendingBytes += w.bytes
      w.go()
    }
    refreshFull()
  }

  const writeBatch = async (batch: Pending[]): Promise<void> => {
    await writer.write(
      batch.flatMap((p) => p.bufs),
      batch.flatMap((p) => p.sizes),
      batch[0]!.first
    )
    const bytes = batch.reduce((n, p) => n + p.bytes, 0)
    durableSeq = batch[batch.length - 1]!.last
    pendingBytes -= bytes
    unforwarded += bytes
    for (const p of batch) p.resolve({ first: p.first, last: p.last })
    for (let i = seqWaiters.length - 1; i >= 0; i--) {
      if (seqWaiters[i]!.seq <= durableSeq) seqWaiters.splice(i, 1)[0]!.go()
    }
  }

  const flushLoop = async (): Promise<void> => {
    let backoff = retry.min
    while (queue.length) {
      const batch = queue.splice(0)
      try {
        await writeBatch(batch)
        backoff = retry.min
        lastWriteError = null
      } catch (err) {
        writeErrors++
        lastWriteError = (err as NodeJS.ErrnoException).code ?? String(err)
        log?.error({ err, code: 'SPOOL_E_WRITE', records: batch.length, retryMs: backoff }, 'spool write failed')
        // A full disk may be freed by deleting segments that are already forwarded.
        await sweep().catch(() => undefined)
        if (closed) {
          const e = new SpoolError('SPOOL_E_WRITE', 'spool closed while its write was failing', { cause: err })
          for (const p of [...batch, ...queue.splice(0)]) p.reject(e)
          break
        }
        queue.unshift(...batch)
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, backoff)
          wakeRetry = () => (clearTimeout(t), resolve())
        })
        wakeRetry = undefined
        backoff = Math.min(retry.max, backoff * 2)
      }
    }
    flushing = undefined
  }

  const reserveBytes = Math.min(1024 * 1024, Math.floor(o.maxBytes / 16))
  const append = async (
    records: readonly Buffer[],
    opts: { readonly reserve?: boolean } = {}
  ): Promise<{ first: number; last: number }> => {
    if (closed) throw closedError()
    if (records.length === 0) return { first: nextSeq, last: nextSeq - 1 }
    let bytes = 0
    for (const r of records) {
      if (r.length > maxRecordBytes) {
        throw new SpoolError('SPOOL_E_RECORD_TOO_LARGE', `record of ${r.length} bytes exceeds ${maxRecordBytes}`)
      }
      bytes += HEADER_BYTES + r.length
    }
    // Larger than the whole spool: could never be admitted, so waiting would never end.
    if (bytes > o.maxBytes) throw new SpoolError('SPOOL_E_TOO_LARGE', `append of ${bytes} bytes exceeds ${o.maxBytes}`)
    const fitsReserve = opts.reserve === true && unforwarded + pendingBytes + bytes <= o.maxBytes + reserveBytes
    if (!fitsReserve && (spaceWaiters.length || unforwarded + pendingBytes + bytes > o.maxBytes)) {
      await new Promise<void>((go, stop) => {
        spaceWaiters.push({ bytes, go, stop })
        refreshFull()
      })
    } else {
      pendingBytes += bytes
      refreshFull()
    }
    const first = nextSeq
    nextSeq += records.length
    const bufs: Buffer[] = []
    const sizes: number[] = []
    records.forEach((r, i) => {
      bufs.push(encodeHeader(first + i, r), r)
      sizes.push(HEADER_BYTES + r.length)
    })
    appends++
    return new Promise((resolve, reject) => {
      queue.push({ bufs, sizes, first, last: nextSeq - 1, bytes, resolve, reject })
      flushing ??= flushLoop()
    })
  }

  let cursorTarget = cursor
  let committing: Promise<void> | undefined
  // Deletes the segments wholly at or below the durable cursor (never the active one).
  // Serialised: commits and the write-retry path both call it.
  let sweeping: Promise<void> | undefined
  const sweepOnce = async (): Promise<void> => {
    let deleted = false
    try {
      while (segments.length > 1 && segments[1]!.base - 1 <= durableCursor) {
        const seg = segments[0]!
        try {
          await fs.unlink(seg.file)
        } catch (err) {
          log?.warn({ err, file: seg.file }, 'spool segment delete failed')
          break
        }
        segments.shift()
        deleted = true
      }
    } finally {
      if (deleted) await syncDir(fs, o.dir)
    }
  }
  const sweep = (): Promise<void> => (sweeping ??= sweepOnce().finally(() => (sweeping = undefined)))
  const commitLoop = async (): Promise<void> => {
    try {
      while (cursor < cursorTarget) {
        const v = cursorTarget
        // Durable only when segments are to go: a crash in between must find a cursor that
        // covers every deleted record. Otherwise an earlier cursor after a crash only replays
        // records InfluxDB already has (they overwrite themselves), and the forwarder's commit
        // costs no fsync beside the spool's own.
        const deletes = segments.length > 1 && segments[1]!.base - 1 <= v
        await cursorFile.write(v, { sync: deletes })
        cursor = v
        if (deletes) {
          durableCursor = v
          await sweep()
        }
        unforwarded = segments.reduce((n, s) => n + bytesAfter(s, cursor), 0)
        admit()
      }
    } finally {
      committing = undefined
    }
  }
  const commit = async (uptoSeq: number): Promise<void> => {
    if (closed) throw closedError()
    if (uptoSeq > durableSeq) {
      throw new SpoolError('SPOOL_E_COMMIT_AHEAD', `commit ${uptoSeq} is past the last durable seq ${durableSeq}`)
    }
    cursorTarget = Math.max(cursorTarget, uptoSeq)
    while (cursor < uptoSeq) {
      committing ??= commitLoop()
      await committing
    }
  }

  const waitFor = (seq: number): Promise<void> => {
    if (seq <= durableSeq) return Promise.resolve()
    if (closed) return Promise.reject(closedError())
    return new Promise((go, stop) => seqWaiters.push({ seq, go, stop }))
  }

  const stats = (): SpoolStats => ({
    bytesOnDisk: segments.reduce((n, s) => n + s.size, 0),
    unforwardedBytes: unforwarded,
    unforwardedRecords: Math.max(0, durableSeq - cursor),
    segments: segments.length,
    appendedSeq: durableSeq,
    committedSeq: cursor,
    appends,
    fsync: latency.snapshot(),
    full,
    waitingAppends: spaceWaiters.length,
    writeErrors,
    lastWriteError,
    recovery: rec.report
  })

  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    for (const w of spaceWaiters.splice(0)) w.stop(closedError())
    for (const w of seqWaiters.splice(0)) w.stop(closedError())
    wakeRetry?.()
    await flushing
    await committing?.catch(() => undefined)
    await writer.close()
    await cursorFile.sync().catch(() => undefined) // a clean stop replays nothing
    await cursorFile.close()
  }

  return {
    append,
    commit,
    read: reader.read,
    waitFor,
    stats,
    fsyncHistogram: latency.histogram,
    recovery: rec.report,
    close
  }
}
