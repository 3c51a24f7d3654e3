import { afterEach, describe, expect, it } from 'vitest'
import { openSpool } from './spool.ts'
import { tempDir } from './testing.ts'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

describe('spool: a forwarder tailing it while appenders push against the bound', () => {
  it('every record reaches the forwarder once, in order; appends never drop; old segments go', async () => {
    const { dir, cleanup } = await tempDir()
    cleanups.push(cleanup)
    const fullChanges: boolean[] = []
    let becameFull: () => void = () => undefined
    const filled = new Promise<void>((resolve) => (becameFull = resolve))
    const spool = await openSpool({
      dir,
      maxBytes: 4096,
      segmentBytes: 1024,
      onFull: (f) => {
        fullChanges.push(f)
        if (f) becameFull()
      }
    })
    const total = 2000
    const appenders = Array.from({ length: 20 }, async (_, w) => {
      for (let i = w; i < total; i += 20) await spool.append([Buffer.from(`record-${i}`)])
    })
    const seen: number[] = []
    const bodies = new Set<string>()
    const forwarder = (async () => {
      await filled // the forwarder starts once appenders wait on the bound
      let next = 1
      while (seen.length < total) {
        const { records, next: after } = await spool.read(next, { maxRecords: 37 })
        if (records.length === 0) {
          await spool.waitFor(after)
          continue
        }
        for (const r of records) {
          seen.push(r.seq)
          bodies.add(r.data.toString())
        }
        next = after
        await spool.commit(records.at(-1)!.seq) // "forwarded"
      }
    })()
    await Promise.all([...appenders, forwarder])
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1))
    expect(bodies.size).toBe(total)
    expect(fullChanges[0]).toBe(true) // the bound was reached and appenders waited
    const s = spool.stats()
    expect(s).toMatchObject({ committedSeq: total, unforwardedBytes: 0, full: false, waitingAppends: 0 })
    expect(s.segments).toBeLessThanOrEqual(2)
    await spool.close()
  })
})
