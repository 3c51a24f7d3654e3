import path from 'node:path'
import { crc32 } from './frame.ts'
import { syncDir, type SpoolFile, type SpoolFs } from './fsio.ts'

/**
 * The forwarding cursor: "every record with seq ≤ N is in InfluxDB". Two 16-byte slots (magic
 * u32, seq u64, crc u32 over the seq) in one small file, written in place, alternately: a
 * write replaces the older slot and is fdatasynced, so a crash mid-write tears at most that
 * slot and the other still holds the previous value; the reader takes the highest valid slot.
 *
 * In place, not a temp file renamed over the old one: an overwrite of bytes already allocated
 * needs no free space, so the cursor can still move when the disk is full — and moving it is
 * what deletes forwarded segments and gives the space back. A rename needs a new inode and a
 * data block, and on a full disk the spool would wedge with everything forwarded. (It also
 * saves an open, a rename and a directory fsync per commit.)
 */
const CURSOR_MAGIC = 0x51594352 // 'QYCR'
export const CURSOR_FILE = 'cursor'
const SLOT = 16

export function encodeCursor(seq: number): Buffer {
  const b = Buffer.alloc(SLOT)
  b.writeUInt32BE(CURSOR_MAGIC, 0)
  b.writeBigUInt64BE(BigInt(seq), 4)
  b.writeUInt32BE(crc32(b.subarray(4, 12)), 12)
  return b
}

/** The seq in one slot, or undefined when it is absent or damaged. */
function decodeSlot(b: Buffer, at: number): number | undefined {
  if (b.length < at + SLOT) return undefined
  const s = b.subarray(at, at + SLOT)
  return s.readUInt32BE(0) === CURSOR_MAGIC && crc32(s.subarray(4, 12)) === s.readUInt32BE(12)
    ? Number(s.readBigUInt64BE(4))
    : undefined
}

function decode(b: Buffer): { seq: number; slot: 0 | 1; bad: boolean } {
  const a = decodeSlot(b, 0)
  const c = decodeSlot(b, SLOT)
  if (a === undefined && c === undefined) return { seq: 0, slot: 1, bad: b.length > 0 }
  return (c ?? -1) > (a ?? -1) ? { seq: c!, slot: 1, bad: false } : { seq: a!, slot: 0, bad: false }
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
  // A damaged cursor replays everything still on disk: duplicates are harmless downstream
  // (point identity), losing records is not.
  const { seq, bad } = decode(b)
  return { seq, bad }
}

export interface CursorFile {
  /**
   * Make `seq` the cursor (≥ the current one); durable (fdatasynced) with `sync`. Without, a
   * crash may leave an earlier value, which only replays records InfluxDB already has (they
   * overwrite themselves); both slots share one sector, so neither tears on its own.
   */
  write(seq: number, opts?: { readonly sync?: boolean }): Promise<void>
  /** fdatasync what was written without `sync`. */
  sync(): Promise<void>
  close(): Promise<void>
}

/**
 * Open the cursor file for in-place writes, creating it (both slots allocated, holding `seq`)
 * when absent: created while the spool opens, so its bytes exist before any disk fills up.
 */
export async function openCursor(fs: SpoolFs, dir: string, seq: number): Promise<CursorFile> {
  const file = path.join(dir, CURSOR_FILE)
  let fh: SpoolFile
  let next: 0 | 1
  try {
    fh = await fs.open(file, 'r+')
    const b = await fs.readFile(file)
    next = decode(b).slot === 0 ? 1 : 0
    if (b.length < 2 * SLOT) {
      // An older one-slot file: allocate the second slot now, while there is room.
      await writeAll(fh, [encodeCursor(seq), encodeCursor(seq)], 0)
      await fh.datasync()
      next = 1
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    fh = await fs.open(file, 'w+')
    await writeAll(fh, [encodeCursor(seq), encodeCursor(seq)], 0)
    await fh.sync()
    await syncDir(fs, dir)
    next = 1
  }
  return {
    async write(v, opts = {}) {
      await writeAll(fh, [encodeCursor(v)], next * SLOT)
      if (opts.sync !== false) await fh.datasync()
      // Only once the write is done (and durable when asked): a failed one is retried in the
      // same slot, so the other keeps the value before it.
      next = next === 0 ? 1 : 0
    },
    sync: () => fh.datasync(),
    close: () => fh.close()
  }
}

async function writeAll(fh: SpoolFile, bufs: Buffer[], position: number): Promise<void> {
  const len = bufs.reduce((n, b) => n + b.length, 0)
  const { bytesWritten } = await fh.writev(bufs, position)
  if (bytesWritten !== len) throw Object.assign(new Error('short cursor write'), { code: 'EIO' })
}
