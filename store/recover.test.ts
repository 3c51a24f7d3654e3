import { appendFile, open as fsOpen, readdir, stat, truncate } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { HEADER_BYTES } from './frame.ts'
import { openSpool, type Spool } from './spool.ts'
import { readAll, tempDir } from './testing.ts'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})
async function spoolDir(): Promise<{ dir: string; open: (segmentBytes?: number) => Promise<Spool> }> {
  const { dir, cleanup } = await tempDir()
  const opened: Spool[] = []
  cleanups.push(async () => {
    for (const s of opened) await s.close().catch(() => undefined)
    await cleanup()
  })
  return {
    dir,
    open: async (segmentBytes = 1 << 20) => {
      const s = await openSpool({ dir, maxBytes: 1 << 20, segmentBytes })
      opened.push(s)
      return s
    }
  }
}
const segs = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((f) => f.endsWith('.seg')).sort()
const flip = async (file: string, at: number): Promise<void> => {
  const fh = await fsOpen(file, 'r+')
  const b = Buffer.alloc(1)
  await fh.read(b, 0, 1, at)
  b[0] = b[0]! ^ 0x40
  await fh.write(b, 0, 1, at)
  await fh.close()
}
const FRAME = HEADER_BYTES + 10 // records below are 10 bytes
const tenBytes = (i: number): Buffer => Buffer.from(`rec-${String(i).padStart(6, '0')}`)

describe('spool recovery', () => {
  it('a torn tail (half a frame) is cut, reported, and everything before it survives', async () => {
    const { dir, open } = await spoolDir()
    const s = await open()
    await s.append(Array.from({ length: 5 }, (_, i) => tenBytes(i + 1)))
    await s.close()
    const [seg] = await segs(dir)
    const file = path.join(dir, seg!)
    await appendFile(file, Buffer.concat([Buffer.from([0x51, 0x59, 0x53, 0x50, 0, 0, 0, 10]), Buffer.alloc(9)]))
    const again = await open()
    expect(again.recovery.cut).toEqual([{ segment: seg, offset: 5 * FRAME, bytes: 17, afterSeq: 5 }])
    expect((await stat(file)).size).toBe(5 * FRAME)
    expect((await readAll(again.read, 1)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5])
    expect(await again.append([tenBytes(6)])).toEqual({ first: 6, last: 6 })
  })

  it('a frame cut by truncation at the end is a torn tail too', async () => {
    const { dir, open } = await spoolDir()
    const s = await open()
    await s.append(Array.from({ length: 5 }, (_, i) => tenBytes(i + 1)))
    await s.close()
    const file = path.join(dir, (await segs(dir))[0]!)
    await truncate(file, 4 * FRAME + 7)
    const again = await open()
    expect(again.stats().recovery.cut).toMatchObject([{ offset: 4 * FRAME, bytes: 7, afterSeq: 4 }])
    expect((await readAll(again.read, 1)).map((r) => r.seq)).toEqual([1, 2, 3, 4])
  })

  it('damage in the middle of a segment loses only the damaged record, reported; reads go on past it', async () => {
    const { dir, open } = await spoolDir()
    const s = await open()
    await s.append(Array.from({ length: 10 }, (_, i) => tenBytes(i + 1)))
    await s.close()
    const seg = (await segs(dir))[0]!
    await flip(path.join(dir, seg), 3 * FRAME + HEADER_BYTES + 2) // payload of seq 4
    await flip(path.join(dir, seg), 6 * FRAME) // magic of seq 7
    const again = await open()
    expect(again.stats().recovery.lost).toEqual([
      { segment: seg, offset: 3 * FRAME, bytes: FRAME, fromSeq: 4, toSeq: 4 },
      { segment: seg, offset: 6 * FRAME, bytes: FRAME, fromSeq: 7, toSeq: 7 }
    ])
    expect((await readAll(again.read, 1)).map((r) => r.seq)).toEqual([1, 2, 3, 5, 6, 8, 9, 10])
    expect((await again.read(4)).records[0]!.seq).toBe(5)
    expect(await again.append([tenBytes(11)])).toEqual({ first: 11, last: 11 })
  })

  it('damage at the end of an older segment is lost up to the next segment and never stalls a reader', async () => {
    const { dir, open } = await spoolDir()
    const s = await open(2 * FRAME)
    for (let i = 1; i <= 4; i++) await s.append([tenBytes(i)]) // segments [1,2] [3,4]
    await s.close()
    const [first, second] = await segs(dir)
    await flip(path.join(dir, first!), FRAME + 5) // seq 2, the last of the first segment
    await flip(path.join(dir, second!), FRAME + 5) // seq 4, last of the last segment: a torn tail
    const again = await open(2 * FRAME)
    expect(again.stats().recovery.lost).toEqual([{ segment: first, offset: FRAME, bytes: FRAME, fromSeq: 2, toSeq: 2 }])
    expect(again.stats().recovery.cut).toEqual([{ segment: second, offset: FRAME, bytes: FRAME, afterSeq: 3 }])
    expect((await readAll(again.read, 1)).map((r) => r.seq)).toEqual([1, 3])
    const r = await again.read(2)
    expect(r.records.map((x) => x.seq)).toEqual([3])
    expect((await again.read(r.next)).next).toBe(4)
  })

  it('a segment of pure garbage costs a bounded scan, not a hang or a crash', async () => {
    const { dir, open } = await spoolDir()
    const s = await open()
    await s.append([tenBytes(1)])
    await s.close()
    const file = path.join(dir, (await segs(dir))[0]!)
    const junk = Buffer.alloc(600_000)
    for (let i = 0; i < junk.length; i++) junk[i] = i % 7 === 0 ? 0x51 : (i * 31) & 0xff
    await appendFile(file, junk)
    const again = await open()
    expect(again.stats().recovery.cut).toMatchObject([{ offset: FRAME, bytes: junk.length }])
    expect((await readAll(again.read, 1)).map((r) => r.seq)).toEqual([1])
  })
})
