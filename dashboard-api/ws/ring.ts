/**
 * A bounded ring of a stream's recent deltas, oldest evicted first. Seqs are consecutive:
 * each push is the previous seq + 1.
 */
export interface Ring<T> {
  push(seq: number, value: T): void
  /** Entries with seq > `seq`, oldest first, or undefined when the ring no longer holds seq + 1. */
  after(seq: number): T[] | undefined
  readonly size: number
}

export function createRing<T>(capacity: number): Ring<T> {
  if (!Number.isInteger(capacity) || capacity < 1)
    throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`)
  const seqs: number[] = new Array<number>(capacity)
  const values: T[] = new Array<T>(capacity)
  let start = 0
  let size = 0
  return {
    push(seq, value) {
      if (size > 0 && seq !== seqs[(start + size - 1) % capacity]! + 1)
        throw new RangeError(`ring seq ${seq} does not follow ${seqs[(start + size - 1) % capacity]}`)
      const at = (start + size) % capacity
      seqs[at] = seq
      values[at] = value
      if (size < capacity) size++
      else start = (start + 1) % capacity
    },
    after(seq) {
      if (size === 0) return undefined
      const first = seqs[start]!
      const last = seqs[(start + size - 1) % capacity]!
      if (seq < first - 1 || seq > last) return undefined
      const out: T[] = []
      for (let i = seq - first + 1; i < size; i++) out.push(values[(start + i) % capacity]!)
      return out
    },
    get size() {
      return size
    }
  }
}

export type ResumeDecision<T> =
  | { readonly kind: 'replay'; readonly entries: readonly T[] }
  | { readonly kind: 'snapshot'; readonly reason: 'no-resume' | 'unknown-seq' }

/**
 * Whether a client that applied everything up to `resumeSeq` can catch up from the ring.
 * `lastSeq` is the stream's current seq (a fresh stream's first seq, before any delta). A seq
 * equal to lastSeq needs nothing; one inside the ring gets the missed deltas; anything else —
 * evicted, from an earlier stream or server process (seqs of a new stream start above them), or
 * ahead of us — gets a fresh snapshot.
 */
export function decideResume<T>(resumeSeq: number | undefined, lastSeq: number, ring: Ring<T>): ResumeDecision<T> {
  if (resumeSeq === undefined) return { kind: 'snapshot', reason: 'no-resume' }
  if (resumeSeq === lastSeq) return { kind: 'replay', entries: [] }
  const entries = resumeSeq < lastSeq ? ring.after(resumeSeq) : undefined
  return entries ? { kind: 'replay', entries } : { kind: 'snapshot', reason: 'unknown-seq' }
}
