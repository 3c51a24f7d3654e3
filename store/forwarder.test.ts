import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startForwarder } from './forwarder.ts'
import type { Sink } from './sink.ts'
import { openSpool } from './spool.ts'
import { hookedFs, tempDir } from './testing.ts'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

describe('forwarder', () => {
  it('keeps going when moving the cursor fails for a while (EIO): retried, nothing skipped', async () => {
    const { dir, cleanup } = await tempDir()
    cleanups.push(cleanup)
    let failures = 0
    const fs = hookedFs((op, file) =>
      op === 'writev' && path.basename(file) === 'cursor' && failures > 0 && failures-- > 0
        ? { fail: 'EIO' }
        : undefined
    )
    const spool = await openSpool({ dir, maxBytes: 1024 * 1024, fs })
    failures = 3 // once the cursor file exists: each commit's write of it fails, three times
    const written: string[] = []
    // InfluxDB's side is not under test here: a sink that takes every line.
    const writer: Sink = {
      write: async (lines) => {
        written.push(...lines)
        return { rejected: [] }
      },
      close: async () => undefined
    }
    const forwarder = startForwarder({ spool, writer, log: quiet })
    for (let i = 1; i <= 5; i++) await spool.append([Buffer.from(`line-${i}`)])
    await forwarder.forwardedTo(5)
    expect(failures).toBe(0)
    expect(forwarder.stats()).toMatchObject({ forwardedSeq: 5, spoolErrors: 3 })
    expect(new Set(written)).toEqual(new Set([1, 2, 3, 4, 5].map((i) => `line-${i}`)))
    expect(spool.stats().committedSeq).toBe(5)
    await forwarder.close()
    await spool.close()
  })

  it('lingers between small writes unless someone waits for them or a batch is full', async () => {
    const { dir, cleanup } = await tempDir()
    cleanups.push(cleanup)
    const spool = await openSpool({ dir, maxBytes: 1024 * 1024 })
    const writes: string[][] = []
    const writer: Sink = {
      write: async (lines) => {
        writes.push([...lines])
        return { rejected: [] }
      },
      close: async () => undefined
    }
    // A linger no test run outlasts: what moves the records below is a waiter or a full batch.
    const forwarder = startForwarder({ spool, writer, log: quiet, lingerMs: 60_000, batchRecords: 3 })
    await spool.append([Buffer.from('a')])
    await forwarder.forwardedTo(1) // the first write does not wait
    for (const x of ['b', 'c']) await spool.append([Buffer.from(x)])
    await new Promise((r) => setTimeout(r, 300))
    expect(forwarder.stats().forwardedSeq).toBe(1) // lingering: two records, less than a batch
    await forwarder.forwardedTo(3) // a waiter cuts the linger short
    expect(writes).toEqual([['a'], ['b', 'c']])
    for (const x of ['d', 'e', 'f']) await spool.append([Buffer.from(x)])
    // A full batch goes at once, with nobody waiting.
    for (let i = 0; i < 100 && forwarder.stats().forwardedSeq < 6; i++) await new Promise((r) => setTimeout(r, 50))
    expect(writes).toEqual([['a'], ['b', 'c'], ['d', 'e', 'f']])
    await forwarder.close()
    await spool.close()
  })
})
