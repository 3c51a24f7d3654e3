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
    let failures = 3
    const fs = hookedFs((op, file) =>
      op === 'datasync' && path.basename(file) === 'cursor' && failures > 0 && failures-- > 0
        ? { fail: 'EIO' }
        : undefined
    )
    const spool = await openSpool({ dir, maxBytes: 1024 * 1024, fs })
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
})
