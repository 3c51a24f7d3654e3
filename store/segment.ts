import { decodeAt, findMagic, HEADER_BYTES } from './frame.ts'
import { readAt, type SpoolFile } from './fsio.ts'

/** A segment file is named by the seq of its first record, zero-padded so names sort. */
export const segmentName = (base: number): string => `${String(base).padStart(20, '0')}.seg`
export const parseSegmentName = (name: string): number | undefined =>
  /^\d{20}\.seg$/.test(name) ? Number(name.slice(0, 20)) : undefined

/** Sparse seq → offset index: one entry per INDEX_EVERY bytes, so a read starts close to its seq. */
const INDEX_EVERY = 4096

export interface Segment {
  readonly base: number
  readonly file: string
  /** Bytes known good and durable; readers never look past it. */
  size: number
  /** Seq of the last record, base - 1 when none. */
  lastSeq: number
  records: number
  readonly idxSeq: number[]
  readonly idxOff: number[]
}

export function newSegment(base: number, file: string): Segment {
  return { base, file, size: 0, lastSeq: base - 1, records: 0, idxSeq: [], idxOff: [] }
}

/** Account a record at `off` of `size` bytes that is now durable in `seg`. */
export function noteRecord(seg: Segment, seq: number, off: number, size: number): void {
  const lastIdx = seg.idxOff.length ? seg.idxOff[seg.idxOff.length - 1]! : -Infinity
  if (off >= lastIdx + INDEX_EVERY) {
    seg.idxSeq.push(seq)
    seg.idxOff.push(off)
  }
  seg.lastSeq = seq
  seg.records++
  seg.size = off + size
}

/** The offset from which a scan for `seq` should start (largest indexed seq ≤ seq). */
export function startOffset(seg: Segment, seq: number): number {
  let lo = 0
  let hi = seg.idxSeq.length - 1
  let best = 0
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (seg.idxSeq[mid]! <= seq) {
      best = seg.idxOff[mid]!
      lo = mid + 1
    } else hi = mid - 1
  }
  return best
}

/** Unforwarded bytes of `seg` when everything ≤ cursor is forwarded (to within INDEX_EVERY). */
export function bytesAfter(seg: Segment, cursor: number): number {
  if (seg.lastSeq <= cursor) return 0
  if (cursor < seg.base) return seg.size
  return seg.size - startOffset(seg, cursor + 1)
}

export type ScanEvent =
  | {
      readonly kind: 'record'
      readonly seq: number
      readonly payload: Buffer
      readonly off: number
      readonly size: number
    }
  | { readonly kind: 'gap'; readonly from: number; readonly to: number }

const CHUNK = 256 * 1024

/**
 * Walk frames of `fh` in [start, end). Bytes that are not a valid frame (bad magic, length, CRC,
 * or a seq that does not increase) become one `gap` event each, ending where the next valid
 * frame starts (found by its magic) or at `end`. Every step moves forward, so damaged data
 * cannot loop. `visit` returns false to stop early.
 */
export async function scanFrames(
  fh: SpoolFile,
  start: number,
  end: number,
  maxPayload: number,
  afterSeq: number,
  visit: (ev: ScanEvent) => boolean
): Promise<void> {
  let buf: Buffer = Buffer.alloc(0)
  let bufPos = start
  let pos = start
  let lastSeq = afterSeq
  let gapFrom = -1
  const ensure = async (n: number): Promise<void> => {
    if (pos >= bufPos && pos + n <= bufPos + buf.length) return
    bufPos = pos
    buf = await readAt(fh, pos, Math.min(end - pos, Math.max(n, CHUNK)))
  }
  const resync = async (): Promise<void> => {
    if (gapFrom < 0) gapFrom = pos
    let from = pos + 1
    for (;;) {
      if (from >= end) {
        pos = end
        return
      }
      pos = from
      await ensure(Math.min(HEADER_BYTES, end - from))
      const at = findMagic(buf, from - bufPos)
      if (at >= 0 && bufPos + at < end) {
        pos = bufPos + at
        return
      }
      // keep the last 3 bytes: a magic may straddle the chunk boundary
      from = Math.max(from + 1, bufPos + buf.length - 3)
    }
  }
  while (pos < end) {
    if (end - pos < HEADER_BYTES) {
      await resync()
      continue
    }
    await ensure(HEADER_BYTES)
    let d = decodeAt(buf, pos - bufPos, maxPayload)
    if (d.kind === 'short') {
      if (pos + d.need > end) {
        await resync()
        continue
      }
      await ensure(d.need)
      d = decodeAt(buf, pos - bufPos, maxPayload)
    }
    if (d.kind !== 'ok' || d.seq <= lastSeq) {
      await resync()
      continue
    }
    if (gapFrom >= 0) {
      const gap: ScanEvent = { kind: 'gap', from: gapFrom, to: pos }
      gapFrom = -1
      if (!visit(gap)) return
    }
    lastSeq = d.seq
    const off = pos
    pos += d.size
    if (!visit({ kind: 'record', seq: d.seq, payload: d.payload, off, size: d.size })) return
  }
  if (gapFrom >= 0) visit({ kind: 'gap', from: gapFrom, to: end })
}
