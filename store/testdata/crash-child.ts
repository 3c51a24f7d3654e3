// Child process for crash.test.ts: appends from many concurrent callers and prints each ack
// ("A first last worker n") and each finished commit ("C seq") the moment it resolves, until the
// parent kills it with SIGKILL. Stdout to a pipe is synchronous on Linux, so a printed ack was
// written before the kill.
import { openSpool } from '../spool.ts'

export const recordData = (w: number, n: number, i: number): Buffer =>
  Buffer.from(`w${w}-n${n}-i${i}-`.padEnd(70, 'x'))

const dir = process.argv[2]
if (dir) {
  const spool = await openSpool({ dir, maxBytes: 4 * 1024 * 1024, segmentBytes: 32 * 1024 })
  process.stdout.write(`R ${JSON.stringify(spool.stats().recovery)}\n`)
  const worker = async (w: number): Promise<void> => {
    for (let n = 0; ; n++) {
      const k = 1 + ((w + n) % 4)
      const { first, last } = await spool.append(Array.from({ length: k }, (_, i) => recordData(w, n, i)))
      process.stdout.write(`A ${first} ${last} ${w} ${n}\n`)
    }
  }
  const committer = async (): Promise<void> => {
    for (;;) {
      await new Promise((r) => setTimeout(r, 20))
      const upto = spool.stats().appendedSeq - 300
      if (upto > spool.stats().committedSeq) {
        await spool.commit(upto)
        process.stdout.write(`C ${upto}\n`)
      }
    }
  }
  for (let w = 0; w < 20; w++) void worker(w)
  void committer()
}
