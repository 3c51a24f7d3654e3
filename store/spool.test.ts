import { unlinkSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { SpoolError } from './errors.ts'
import { HEADER_BYTES } from './frame.ts'
import { openSpool, type Spool, type SpoolOptions } from './spool.ts'
import { hookedFs, readAll, tempDir, type FsOp } from './testing.ts'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})
type Open = (o?: Partial<SpoolOptions>) => Promise<Spool>
async function setup(opts: Partial<SpoolOptions> = {}): Promise<{ dir: string; spool: Spool; open: Open }> {
  const { dir, cleanup } = await tempDir()
  const opened: Spool[] = []
  cleanups.push(async () => {
    for (const s of opened) await s.close().catch(() => undefined)
    await cleanup()
  })
  const open = async (o: Partial<SpoolOptions> = {}): Promise<Spool> => {
    const s = await openSpool({ dir, maxBytes: 1 << 20, ...opts, ...o })
    opened.push(s)
    return s
  }
  return { dir, spool: await open(), open }
}
const rec = (s: string): Buffer => Buffer.from(s)
const texts = (rs: ReadonlyArray<{ data: Buffer }>): string[] => rs.map((r) => r.data.toString())
const state = async <T>(p: Promise<T>): Promise<'pending' | 'settled'> =>
  Promise.race([
    p.then(
      () => 'settled' as const,
      () => 'settled' as const
    ),
    new Promise<'pending'>((r) => setImmediate(() => r('pending')))
  ])

describe('spool: append, read, reopen', () => {
  it('numbers records from 1, reads them back in order, and again after reopening', async () => {
    const { spool, open } = await setup()
    expect(await spool.append([rec('a'), rec('b')])).toEqual({ first: 1, last: 2 })
    expect(await spool.append([rec('c')])).toEqual({ first: 3, last: 3 })
    expect(texts((await spool.read(1)).records)).toEqual(['a', 'b', 'c'])
    expect(await spool.read(2, { maxRecords: 1 })).toMatchObject({ next: 3 })
    await spool.close()
    const again = await open()
    expect(texts(await readAll(again.read, 1))).toEqual(['a', 'b', 'c'])
    expect(await again.append([rec('d')])).toEqual({ first: 4, last: 4 })
    expect(again.stats().recovery).toMatchObject({ records: 3, cut: [], lost: [] })
  })

  it('group commit: 500 concurrent appends share far fewer fsyncs', async () => {
    const { spool } = await setup()
    const acks = await Promise.all(Array.from({ length: 500 }, (_, i) => spool.append([rec(`r${i}`)])))
    const seqs = acks.map((a) => a.first).sort((a, b) => a - b)
    expect(seqs).toEqual(Array.from({ length: 500 }, (_, i) => i + 1))
    expect(spool.stats().fsync.count).toBeLessThan(50)
    expect((await readAll(spool.read, 1)).length).toBe(500)
  })

  it('read honours maxRecords and maxBytes but always returns one record', async () => {
    const { spool } = await setup()
    await spool.append([rec('x'.repeat(100)), rec('y'.repeat(100)), rec('z')])
    expect(texts((await spool.read(1, { maxBytes: 150 })).records)).toEqual(['x'.repeat(100)])
    expect(texts((await spool.read(1, { maxBytes: 10 })).records)).toEqual(['x'.repeat(100)])
    expect((await spool.read(1, { maxRecords: 2 })).records.length).toBe(2)
  })

  it('waitFor resolves when a later record becomes durable, so a forwarder can tail without polling', async () => {
    const { spool } = await setup()
    const w = spool.waitFor(1)
    expect(await state(w)).toBe('pending')
    await spool.append([rec('late')])
    await w
    expect(texts((await spool.read(1)).records)).toEqual(['late'])
  })
})

describe('spool: cursor and segments', () => {
  it('rotates segments named by first seq; deletes forwarded ones only after the cursor is durable', async () => {
    const ops: string[] = []
    const fs = hookedFs((op, file) => {
      const dirSync = op === 'sync' && !path.extname(file)
      const cursor = path.basename(file) === 'cursor' && (op === 'writev' || op === 'datasync')
      if (op === 'rename' || op === 'unlink' || dirSync || cursor) ops.push(`${op}:${path.basename(file)}`)
    })
    const { dir, spool, open } = await setup({ segmentBytes: 100, fs })
    for (let i = 1; i <= 6; i++) await spool.append([rec('x'.repeat(40))]) // 60-byte frames: one per segment
    expect((await readdir(dir)).filter((f) => f.endsWith('.seg')).sort()).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => `${String(n).padStart(20, '0')}.seg`)
    )
    ops.length = 0
    await spool.commit(3)
    // The cursor is overwritten in place and fdatasynced before any segment goes.
    const writeAt = ops.indexOf('writev:cursor')
    const firstUnlink = ops.findIndex((o) => o.startsWith('unlink:'))
    expect(writeAt).toBeGreaterThanOrEqual(0)
    expect(ops[writeAt + 1]).toBe('datasync:cursor')
    expect(firstUnlink).toBeGreaterThan(writeAt + 1)
    expect(ops).not.toContain('rename:cursor')
    expect(ops.filter((o) => o.startsWith('unlink:'))).toHaveLength(3)
    expect(spool.stats()).toMatchObject({ committedSeq: 3, segments: 3, unforwardedRecords: 3 })
    await spool.close()
    const again = await open({ fs: undefined })
    expect((await readAll(again.read, 1)).map((r) => r.seq)).toEqual([4, 5, 6])
    expect(again.stats().committedSeq).toBe(3)
  })

  it('a commit that deletes no segment writes the cursor without an fsync; close makes it durable', async () => {
    const ops: string[] = []
    const fs = hookedFs((op, file) => {
      if (path.basename(file) === 'cursor' && (op === 'writev' || op === 'datasync')) ops.push(op)
    })
    const { spool, open } = await setup({ fs })
    for (let i = 1; i <= 4; i++) await spool.append([rec(`r${i}`)])
    ops.length = 0
    await spool.commit(2)
    await spool.commit(3)
    expect(ops).toEqual(['writev', 'writev'])
    expect(spool.stats().committedSeq).toBe(3)
    await spool.close()
    expect(ops).toEqual(['writev', 'writev', 'datasync'])
    const again = await open({ fs: undefined })
    expect(again.stats()).toMatchObject({ committedSeq: 3, unforwardedRecords: 1 })
  })

  it('a cursor write that fails deletes nothing and rejects; reopening replays from a cursor no later than the attempted one', async () => {
    let failCursor = false
    const fs = hookedFs((op, file) =>
      op === 'datasync' && path.basename(file) === 'cursor' && failCursor ? { fail: 'EIO' } : undefined
    )
    const { dir, spool, open } = await setup({ segmentBytes: 100, fs })
    for (let i = 1; i <= 4; i++) await spool.append([rec('x'.repeat(40))])
    await spool.commit(1)
    failCursor = true
    await expect(spool.commit(3)).rejects.toMatchObject({ code: 'EIO' })
    expect((await readdir(dir)).filter((f) => f.endsWith('.seg'))).toHaveLength(3)
    await spool.close()
    const again = await open({ fs: undefined })
    // The write may have reached the file before its fdatasync failed (it was forwarded, so
    // either value is true); what is never skipped is anything past the attempted commit.
    expect([[2, 3, 4], [4]]).toContainEqual((await readAll(again.read, 1)).map((r) => r.seq))
  })

  it('a reader whose segment is deleted under it (a concurrent commit) moves on to the next one', async () => {
    let armed = false
    const fs = hookedFs((op, file) => {
      if (armed && op === 'open' && path.basename(file) === `${'1'.padStart(20, '0')}.seg`) {
        armed = false
        unlinkSync(file)
      }
    })
    const { spool } = await setup({ segmentBytes: 100, fs })
    for (let i = 1; i <= 3; i++) await spool.append([rec('x'.repeat(40))])
    armed = true
    expect((await spool.read(1)).records.map((r) => r.seq)).toEqual([2, 3])
  })

  it('refuses to commit past the last durable record', async () => {
    const { spool } = await setup()
    await spool.append([rec('a')])
    await expect(spool.commit(2)).rejects.toMatchObject({ code: 'SPOOL_E_COMMIT_AHEAD' })
  })

  it('a damaged cursor file replays everything still on disk and says so', async () => {
    const { dir, spool, open } = await setup()
    await spool.append([rec('a'), rec('b')])
    await spool.commit(1)
    await spool.close()
    const { writeFile } = await import('node:fs/promises')
    await writeFile(path.join(dir, 'cursor'), 'garbage')
    const again = await open()
    expect(again.stats().recovery.cursorDamaged).toBe(true)
    expect(texts(await readAll(again.read, 1))).toEqual(['a', 'b'])
  })
})

describe('spool: bounded', () => {
  const frame = (n: number): number => HEADER_BYTES + n

  it('at maxBytes append waits (never drops), reports full, and resumes when commit frees space', async () => {
    const fullEvents: boolean[] = []
    const onFull = (f: boolean): number => fullEvents.push(f)
    const { spool } = await setup({ maxBytes: frame(100) * 3, segmentBytes: frame(100), onFull })
    for (let i = 0; i < 3; i++) await spool.append([Buffer.alloc(100, i)])
    const blocked = spool.append([Buffer.alloc(100, 9)])
    expect(await state(blocked)).toBe('pending')
    expect(spool.stats()).toMatchObject({ full: true, waitingAppends: 1 })
    expect(fullEvents).toEqual([true])
    await spool.commit(1)
    expect(await blocked).toEqual({ first: 4, last: 4 })
    expect(spool.stats().waitingAppends).toBe(0)
    expect((await readAll(spool.read, 2)).map((r) => r.seq)).toEqual([2, 3, 4])
    await spool.commit(4)
    expect(spool.stats().full).toBe(false)
    expect(fullEvents.at(-1)).toBe(false)
  })

  it('an append larger than the whole spool is refused at once instead of waiting forever', async () => {
    const { spool } = await setup({ maxBytes: 1000 })
    const tooBig = spool.append([Buffer.alloc(600), Buffer.alloc(600)])
    await expect(tooBig).rejects.toMatchObject({ code: 'SPOOL_E_TOO_LARGE' })
    await expect(spool.append([Buffer.alloc(2000)])).rejects.toBeInstanceOf(SpoolError)
    expect(await spool.append([Buffer.alloc(900)])).toEqual({ first: 1, last: 1 })
  })
})

describe('spool: write errors', () => {
  it('ENOSPC mid-write: nothing is acked until durable, the file is cut back, the retry lands once', async () => {
    let failures = 2
    let writes = 0
    const fs = hookedFs((op, file) => {
      if (op !== 'writev' || !file.endsWith('.seg')) return
      writes++
      if (writes > 1 && failures > 0) {
        failures--
        return { fail: 'ENOSPC', partial: true }
      }
    })
    const { spool, open } = await setup({ fs, retryMs: { min: 5, max: 20 } })
    await spool.append([rec('before')])
    const p = spool.append([rec('during-1'), rec('during-2')])
    while (spool.stats().writeErrors < 1) await new Promise((r) => setTimeout(r, 1))
    expect(await state(p)).toBe('pending')
    expect(spool.stats().lastWriteError).toBe('ENOSPC')
    expect(texts((await spool.read(1)).records)).toEqual(['before']) // not durable: not visible
    expect(await p).toEqual({ first: 2, last: 3 })
    expect(spool.stats().writeErrors).toBe(2)
    await spool.close()
    const again = await open({ fs: undefined })
    expect(again.stats().recovery).toMatchObject({ cut: [], lost: [] })
    expect(texts(await readAll(again.read, 1))).toEqual(['before', 'during-1', 'during-2'])
  })

  it('a failed fsync is not an ack: the batch is written again and synced before it resolves', async () => {
    const seen: FsOp[] = []
    let failSync = 1
    const fs = hookedFs((op, file) => {
      if (!file.endsWith('.seg')) return
      seen.push(op)
      if (op === 'datasync' && failSync-- > 0) return { fail: 'EIO' }
    })
    const { spool, open } = await setup({ fs, retryMs: { min: 50, max: 50 } })
    const p = spool.append([rec('one')])
    while (spool.stats().writeErrors < 1) await new Promise((r) => setTimeout(r, 1))
    expect(await state(p)).toBe('pending')
    expect((await spool.read(1)).records).toEqual([])
    expect(await p).toEqual({ first: 1, last: 1 })
    expect(seen.filter((o) => o === 'datasync')).toHaveLength(2)
    // after a failed fsync the kernel may have dropped the dirty pages: cut back and write again
    expect(seen.indexOf('truncate')).toBeGreaterThan(seen.indexOf('datasync'))
    expect(seen.lastIndexOf('writev')).toBeGreaterThan(seen.indexOf('truncate'))
    await spool.close()
    expect(texts(await readAll((await open({ fs: undefined })).read, 1))).toEqual(['one'])
  })

  it('close with a write still failing rejects the unacked appends instead of hanging or acking them', async () => {
    const fs = hookedFs((op, file) => (op === 'datasync' && file.endsWith('.seg') ? { fail: 'EIO' } : undefined))
    const { spool } = await setup({ fs, retryMs: { min: 5, max: 5 } })
    const p = spool.append([rec('never durable')])
    while (spool.stats().writeErrors < 1) await new Promise((r) => setTimeout(r, 1))
    const rejected = expect(p).rejects.toMatchObject({ code: 'SPOOL_E_WRITE' })
    await spool.close()
    await rejected
  })
})

describe('spool: close', () => {
  it('flushes queued appends, and rejects callers waiting for room or for records', async () => {
    const { spool, open } = await setup({ maxBytes: 3 * (HEADER_BYTES + 10) })
    await spool.append([Buffer.alloc(10), Buffer.alloc(10)])
    const queued = spool.append([Buffer.alloc(10)])
    const waiting = expect(spool.append([Buffer.alloc(10)])).rejects.toMatchObject({ code: 'SPOOL_E_CLOSED' })
    const tail = expect(spool.waitFor(10)).rejects.toMatchObject({ code: 'SPOOL_E_CLOSED' })
    await spool.close()
    expect(await queued).toEqual({ first: 3, last: 3 })
    await waiting
    await tail
    await expect(spool.append([rec('late')])).rejects.toMatchObject({ code: 'SPOOL_E_CLOSED' })
    expect((await readAll((await open()).read, 1)).map((r) => r.seq)).toEqual([1, 2, 3])
  })
})

describe('spool: the reserve', () => {
  it('lets a reserve append past the bound while device appends wait, and no further than the reserve', async () => {
    const { dir, cleanup } = await tempDir()
    try {
      const spool = await openSpool({ dir, maxBytes: 16 * 1024 })
      const rec = Buffer.alloc(1000, 0x61)
      const fit = Math.floor((16 * 1024) / (HEADER_BYTES + rec.length))
      for (let i = 0; i < fit; i++) await spool.append([rec])
      let waited = true
      const device = spool.append([rec]).then(() => {
        waited = false
      })
      // The node's own record (an alert saying the spool is full) still goes in.
      await spool.append([Buffer.from('alert')], { reserve: true })
      expect(waited).toBe(true)
      expect(spool.stats().full).toBe(true)
      // The reserve is 1/16 of the bound: a reserve append larger than what is left of it waits too.
      let big = true
      const tooBig = spool.append([Buffer.alloc(2000, 0x62)], { reserve: true }).then(() => {
        big = false
      })
      await new Promise((r) => setTimeout(r, 50))
      expect(big).toBe(true)
      await spool.commit(spool.stats().appendedSeq)
      await Promise.all([device, tooBig])
      await spool.close()
    } finally {
      await cleanup()
    }
  })
})

describe('spool: the cursor on a full disk', () => {
  it('moves the cursor and deletes forwarded segments when no new file can be created (ENOSPC)', async () => {
    let full = false
    const fs = hookedFs((op, file) => {
      // A full disk: nothing that allocates succeeds — new files, renames, appends — but
      // overwriting bytes already allocated does.
      if (!full) return undefined
      if (op === 'open' && path.extname(file) === '.tmp') return { fail: 'ENOSPC' } // a file being created
      if (op === 'rename') return { fail: 'ENOSPC' }
      return undefined
    })
    const { dir, spool } = await setup({ segmentBytes: 100, fs })
    for (let i = 1; i <= 4; i++) await spool.append([rec('x'.repeat(40))])
    full = true
    await spool.commit(3)
    expect(spool.stats()).toMatchObject({ committedSeq: 3 })
    expect((await readdir(dir)).filter((f) => f.endsWith('.seg'))).toHaveLength(1)
  })
})
