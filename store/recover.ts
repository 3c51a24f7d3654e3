import { readCursor } from './cursor.ts'
import { joinPath, syncDir, type SpoolFs } from './fsio.ts'
import { newSegment, noteRecord, parseSegmentName, scanFrames, type Segment } from './segment.ts'

/** Bytes cut from the end of the last segment: a write that was never acknowledged (torn by a crash). */
export interface CutTail {
  readonly segment: string
  readonly offset: number
  readonly bytes: number
  /** The last seq kept in that segment: anything after it there was cut. */
  readonly afterSeq: number
}
/** Damaged bytes inside the log: skipped on every read; the seqs they held (when known) are lost. */
export interface LostRange {
  readonly segment: string
  readonly offset: number
  readonly bytes: number
  readonly fromSeq: number | null
  readonly toSeq: number | null
}
export interface RecoveryReport {
  readonly segments: number
  readonly records: number
  readonly cursor: number
  readonly cursorDamaged: boolean
  readonly deletedSegments: number
  readonly cut: CutTail[]
  readonly lost: LostRange[]
}

export interface Recovered {
  readonly segments: Segment[]
  readonly cursor: number
  readonly lastSeq: number
  readonly report: RecoveryReport
}

/**
 * Rebuild the spool's state from disk. Segments wholly covered by the durable cursor are
 * deleted (a crash between the cursor write and the deletes leaves them behind). Every other
 * segment is scanned frame by frame: a bad region at the very end of the last segment is a
 * torn write and is truncated away; a bad region anywhere else is reported and skipped (readers
 * resync on the next frame's magic), so one damaged spot never stops the node.
 */
export async function recover(fs: SpoolFs, dir: string, maxPayload: number): Promise<Recovered> {
  await fs.mkdir(dir, { recursive: true })
  const names = (await fs.readdir(dir))
    .map((n) => ({ n, base: parseSegmentName(n) }))
    .filter((x): x is { n: string; base: number } => x.base !== undefined)
    .sort((a, b) => a.base - b.base)
  const { seq: cursor, bad: cursorDamaged } = await readCursor(fs, dir)
  let deleted = 0
  while (names.length > 1 && names[1]!.base - 1 <= cursor) {
    await fs.unlink(joinPath(dir, names.shift()!.n))
    deleted++
  }
  if (deleted) await syncDir(fs, dir)
  const segments: Segment[] = []
  const cut: CutTail[] = []
  const lost: LostRange[] = []
  let lastSeq = cursor
  let records = 0
  for (let i = 0; i < names.length; i++) {
    const { n, base } = names[i]!
    const isLast = i === names.length - 1
    const seg = newSegment(base, joinPath(dir, n))
    const fh = await fs.open(seg.file, isLast ? 'r+' : 'r')
    try {
      const { size } = await fh.stat()
      let pendingGap: { from: number; to: number; after: number } | undefined
      await scanFrames(fh, 0, size, maxPayload, -1, (ev) => {
        if (ev.kind === 'gap') {
          pendingGap = { from: ev.from, to: ev.to, after: seg.lastSeq }
          return true
        }
        if (pendingGap) {
          lost.push({
            segment: n,
            offset: pendingGap.from,
            bytes: pendingGap.to - pendingGap.from,
            fromSeq: pendingGap.after + 1,
            toSeq: ev.seq - 1
          })
          pendingGap = undefined
        }
        noteRecord(seg, ev.seq, ev.off, ev.size)
        return true
      })
      if (pendingGap) {
        if (isLast) {
          // Torn tail: only the last segment is ever being written, and nothing past its last
          // good frame was acknowledged (acks follow fsync of whole frames).
          await fh.truncate(pendingGap.from)
          await fh.datasync()
          const bytes = pendingGap.to - pendingGap.from
          cut.push({ segment: n, offset: pendingGap.from, bytes, afterSeq: seg.lastSeq })
        } else {
          const next = names[i + 1]!.base
          lost.push({
            segment: n,
            offset: pendingGap.from,
            bytes: pendingGap.to - pendingGap.from,
            fromSeq: pendingGap.after + 1,
            toSeq: next - 1
          })
        }
      }
    } finally {
      await fh.close()
    }
    // A segment's name is the seq of its first record: seqs below it were used even if lost.
    lastSeq = Math.max(lastSeq, seg.lastSeq)
    records += seg.records
    segments.push(seg)
  }
  return {
    segments,
    cursor,
    lastSeq,
    report: { segments: segments.length, records, cursor, cursorDamaged, deletedSegments: deleted, cut, lost }
  }
}
