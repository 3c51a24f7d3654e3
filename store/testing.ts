// Test helpers for the spool's tests (not used by the spool itself).
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { nodeFs, type SpoolFile, type SpoolFs } from './fsio.ts'
import type { ReadResult } from './reader.ts'

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-spool-'))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

export type FsOp = 'open' | 'writev' | 'datasync' | 'sync' | 'truncate' | 'rename' | 'unlink'

/**
 * The real file system with a hook before each operation: the hook may throw (inject ENOSPC,
 * EIO) or record the order of operations. `partial` makes a failing writev first write half of
 * its bytes, as a disk that fills up mid-write does.
 */
export function hookedFs(hook: (op: FsOp, file: string) => { fail?: string; partial?: boolean } | void): SpoolFs {
  const errno = (code: string): Error => Object.assign(new Error(`injected ${code}`), { code })
  const wrap = (file: string, fh: SpoolFile): SpoolFile => ({
    async writev(bufs, pos) {
      const r = hook('writev', file)
      if (r?.fail) {
        if (r.partial) {
          const all = Buffer.concat(bufs)
          await fh.writev([all.subarray(0, all.length >> 1)], pos)
        }
        throw errno(r.fail)
      }
      return fh.writev(bufs, pos)
    },
    read: (b, o, l, p) => fh.read(b, o, l, p),
    async datasync() {
      const r = hook('datasync', file)
      if (r?.fail) throw errno(r.fail)
      return fh.datasync()
    },
    async sync() {
      const r = hook('sync', file)
      if (r?.fail) throw errno(r.fail)
      return fh.sync()
    },
    async truncate(len) {
      const r = hook('truncate', file)
      if (r?.fail) throw errno(r.fail)
      return fh.truncate(len)
    },
    stat: () => fh.stat(),
    close: () => fh.close()
  })
  return {
    ...nodeFs,
    async open(file, flags) {
      const r = hook('open', file)
      if (r?.fail) throw errno(r.fail)
      return wrap(file, await nodeFs.open(file, flags))
    },
    async rename(a, b) {
      const r = hook('rename', b)
      if (r?.fail) throw errno(r.fail)
      return nodeFs.rename(a, b)
    },
    async unlink(file) {
      const r = hook('unlink', file)
      if (r?.fail) throw errno(r.fail)
      return nodeFs.unlink(file)
    }
  }
}

/** Read every record from `from` on, following `next` until nothing more comes. */
export async function readAll(
  read: (from: number, o?: { maxRecords?: number }) => Promise<ReadResult>,
  from: number
): Promise<Array<{ seq: number; data: Buffer }>> {
  const out: Array<{ seq: number; data: Buffer }> = []
  for (let guard = 0; guard < 1_000_000; guard++) {
    const r = await read(from, { maxRecords: 500 })
    out.push(...r.records)
    if (r.records.length === 0) return out
    from = r.next
  }
  throw new Error('readAll did not finish')
}
