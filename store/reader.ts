import type { SpoolFs } from './fsio.ts'
import { scanFrames, startOffset, type Segment } from './segment.ts'

export interface ReadOptions {
  /** At most this many records (default 1000). */
  readonly maxRecords?: number
  /** At most this many payload bytes, except that one record is always returned if any is there (default 1 MiB). */
  readonly maxBytes?: number
}
export interface ReadResult {
  readonly records: ReadonlyArray<{ readonly seq: number; readonly data: Buffer }>
  /** The seq to read from next: past the last record returned and past any damaged range skipped. */
  readonly next: number
}

interface ReaderDeps {
  readonly fs: SpoolFs
  /** The live list of segments (the spool shifts deleted ones off and pushes new ones). */
  readonly segments: Segment[]
  readonly maxRecordBytes: number
}

/**
 * Reads durable records in seq order. Only bytes below a segment's `size` are read — that is
 * advanced after fsync — so a reader never sees a record that is not yet acknowledged.
 */
export function createReader(d: ReaderDeps): { read(fromSeq: number, opts?: ReadOptions): Promise<ReadResult> } {
  const read = async (fromSeq: number, opts: ReadOptions = {}): Promise<ReadResult> => {
    const maxRecords = Math.max(1, opts.maxRecords ?? 1000)
    const maxBytes = opts.maxBytes ?? 1024 * 1024
    const records: Array<{ seq: number; data: Buffer }> = []
    let bytes = 0
    let next = fromSeq
    let full = false
    let seg = [...d.segments].reverse().find((s) => s.base <= next) ?? d.segments[0]
    while (seg && !full) {
      const end = seg.size
      const segLast = seg.lastSeq
      next = Math.max(next, seg.base)
      if (segLast >= next) {
        let fh
        try {
          fh = await d.fs.open(seg.file, 'r')
        } catch (err) {
          // Deleted by a commit while we were reading: those records are forwarded; move on.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
        }
        if (fh) {
          try {
            const from = next
            await scanFrames(fh, startOffset(seg, from), end, d.maxRecordBytes, -1, (ev) => {
              if (ev.kind === 'gap' || ev.seq < from) return true
              if (records.length && bytes + ev.payload.length > maxBytes) {
                full = true
                return false
              }
              records.push({ seq: ev.seq, data: Buffer.from(ev.payload) })
              bytes += ev.payload.length
              next = ev.seq + 1
              full = records.length >= maxRecords
              return !full
            })
          } finally {
            await fh.close()
          }
        }
        // Whatever of this segment was not returned was damaged and skipped.
        if (!full) next = Math.max(next, segLast + 1)
      }
      const base = seg.base
      seg = d.segments.find((s) => s.base > base)
    }
    return { records, next }
  }
  return { read }
}
