import type { Logger } from 'pino'
import { joinPath, syncDir, type SpoolFile, type SpoolFs } from './fsio.ts'
import { newSegment, noteRecord, segmentName, type Segment } from './segment.ts'

const MAX_IOV = 1024
const ROLL_FORWARDED_BYTES = 1024 * 1024

export interface SegmentWriterDeps {
  readonly fs: SpoolFs
  readonly dir: string
  /** The live segment list (recovered); the writer appends to its last entry and pushes new ones. */
  readonly segments: Segment[]
  readonly nextSeq: number
  readonly segmentBytes: number
  /** The durable forwarding cursor: a segment wholly at or below it may roll early (see write). */
  readonly forwarded?: () => number
  readonly now: () => number
  readonly onFsync: (ms: number) => void
  readonly log?: Logger
}

export interface SegmentWriter {
  /** Write frames for records first..first+sizes.length-1 and fdatasync; resolves once durable. */
  write(bufs: Buffer[], sizes: number[], first: number): Promise<void>
  close(): Promise<void>
}

/**
 * The one writer of the active segment. Writes are positional at the segment's durable size,
 * so a failed attempt is cut back and the retry lands on the same bytes.
 */
export async function openSegmentWriter(d: SegmentWriterDeps): Promise<SegmentWriter> {
  const { fs, dir, segments } = d
  const create = async (base: number): Promise<{ seg: Segment; fh: SpoolFile }> => {
    const seg = newSegment(base, joinPath(dir, segmentName(base)))
    const fh = await fs.open(seg.file, 'w')
    try {
      await syncDir(fs, dir) // the new name must survive a crash before its records are acked
    } catch (err) {
      await fh.close()
      throw err
    }
    return { seg, fh }
  }
  let last = segments[segments.length - 1]
  if (last && last.records === 0 && last.base !== d.nextSeq) {
    // An empty segment whose name no longer matches the next seq (its records were cut).
    await fs.unlink(last.file)
    segments.pop()
    last = undefined
  }
  let active: Segment
  let wfh: SpoolFile
  if (last) {
    active = last
    wfh = await fs.open(active.file, 'r+')
  } else {
    ;({ seg: active, fh: wfh } = await create(d.nextSeq))
    segments.push(active)
  }

  const write = async (bufs: Buffer[], sizes: number[], first: number): Promise<void> => {
    const bytes = sizes.reduce((n, s) => n + s, 0)
    // Roll when the segment is full, and also once it holds at least ROLL_FORWARDED_BYTES that are
    // all forwarded: only whole segments can be deleted, so without this a disk that fills up
    // (ENOSPC) with a forwarded active segment could never get its space back.
    const forwardedAll = d.forwarded !== undefined && active.records > 0 && d.forwarded() >= active.lastSeq
    if (
      active.size > 0 &&
      (active.size + bytes > d.segmentBytes ||
        (forwardedAll && active.size >= Math.min(d.segmentBytes, ROLL_FORWARDED_BYTES)))
    ) {
      const next = await create(first)
      await wfh.close().catch(() => undefined) // already fsynced with its last batch
      ;({ seg: active, fh: wfh } = next)
      segments.push(active)
    }
    const start = active.size
    try {
      let pos = start
      for (let i = 0; i < bufs.length; i += MAX_IOV) {
        const part = bufs.slice(i, i + MAX_IOV)
        const want = part.reduce((n, b) => n + b.length, 0)
        const { bytesWritten } = await wfh.writev(part, pos)
        // On a regular file the kernel writes less than asked only when the disk (or a quota)
        // is full: it reports what fitted rather than ENOSPC.
        if (bytesWritten !== want) throw Object.assign(new Error('short write: the disk is full'), { code: 'ENOSPC' })
        pos += want
      }
      const t0 = d.now()
      await wfh.datasync()
      d.onFsync(d.now() - t0)
    } catch (err) {
      // Leave the file as it was before this batch: the retry rewrites it whole, and after a
      // failed fsync the kernel may have dropped the dirty pages, so they must be written again.
      await wfh.truncate(start).catch((e: unknown) => d.log?.error({ err: e }, 'spool truncate after failed write'))
      throw err
    }
    let off = start
    sizes.forEach((size, i) => {
      noteRecord(active, first + i, off, size)
      off += size
    })
  }
  return { write, close: () => wfh.close() }
}
