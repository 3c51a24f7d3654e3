import * as fsp from 'node:fs/promises'
import path from 'node:path'

/**
 * The file-system boundary of the spool: the subset of `node:fs/promises` it uses. Tests pass
 * a wrapper that fails chosen calls (ENOSPC, EIO) — faults a real disk cannot be made to
 * produce on demand.
 */
export interface SpoolFile {
  writev(buffers: Buffer[], position: number): Promise<{ bytesWritten: number }>
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>
  datasync(): Promise<void>
  sync(): Promise<void>
  truncate(len: number): Promise<void>
  stat(): Promise<{ size: number }>
  close(): Promise<void>
}

export interface SpoolFs {
  open(file: string, flags: string): Promise<SpoolFile>
  readdir(dir: string): Promise<string[]>
  mkdir(dir: string, opts: { recursive: true }): Promise<unknown>
  unlink(file: string): Promise<void>
  rename(from: string, to: string): Promise<void>
  readFile(file: string): Promise<Buffer>
}

export const nodeFs: SpoolFs = {
  open: (file, flags) => fsp.open(file, flags),
  readdir: (dir) => fsp.readdir(dir),
  mkdir: (dir, opts) => fsp.mkdir(dir, opts),
  unlink: (file) => fsp.unlink(file),
  rename: (from, to) => fsp.rename(from, to),
  readFile: (file) => fsp.readFile(file)
}

/** Make a create/rename/unlink in `dir` durable: on Linux the directory entry needs its own fsync. */
export async function syncDir(fs: SpoolFs, dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** Read exactly up to `length` bytes at `position` (fewer only at end of file). */
export async function readAt(fh: SpoolFile, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length)
  let got = 0
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got)
    if (bytesRead === 0) break
    got += bytesRead
  }
  return got === length ? buf : buf.subarray(0, got)
}

export const joinPath = path.join
