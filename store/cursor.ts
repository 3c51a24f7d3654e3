import path from 'node:path'
import { crc32 } from './frame.ts'
import { syncDir, type SpoolFs } from './fsio.ts'

/**
 * The forwarding cursor: "every record with seq ≤ N is in InfluxDB". 16 bytes: magic u32,
 * seq u64, crc u32 (over the seq). Replaced atomically: write a temp file, fsync it, rename it
 * over the old one, fsync the directory — so a crash leaves either the old or the new value,
 * never a torn one.
 */
const CURSOR_MAGIC = 0x51594352 // 'QYCR'
export const CURSOR_FILE = 'cursor'

export function encodeCursor(seq: number): Buffer {
  const b = Buffer.alloc(16)
  b.writeUInt32BE(CURSOR_MAGIC, 0)
  b.writeBigUInt64BE(BigInt(seq), 4)
  b.writeUInt32BE(crc32(b.subarray(4, 12)), 12)
  return b
}

/** The durable cursor, or 0 (nothing forwarded) when absent; `bad` when present but damaged. */
export async function readCursor(fs: SpoolFs, dir: string): Promise<{ seq: number; bad: boolean }> {
  let b: Buffer
  try {
    b = await fs.readFile(path.join(dir, CURSOR_FILE))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { seq: 0, bad: false }
    throw err
  }
  const ok = b.length === 16 && b.readUInt32BE(0) === CURSOR_MAGIC && crc32(b.subarray(4, 12)) === b.readUInt32BE(12)
  // A damaged cursor replays everything still on disk: duplicates are harmless downstream
  // (point identity), losing records is not.
  return ok ? { seq: Number(b.readBigUInt64BE(4)), bad: false } : { seq: 0, bad: true }
}

export async function writeCursor(fs: SpoolFs, dir: string, seq: number): Promise<void> {
  const tmp = path.join(dir, `${CURSOR_FILE}.tmp`)
  const fh = await fs.open(tmp, 'w')
  try {
    const b = encodeCursor(seq)
    const { bytesWritten } = await fh.writev([b], 0)
    if (bytesWritten !== b.length) throw Object.assign(new Error('short cursor write'), { code: 'EIO' })
    await fh.sync()
  } finally {
    await fh.close()
  }
  await fs.rename(tmp, path.join(dir, CURSOR_FILE))
  await syncDir(fs, dir)
}
