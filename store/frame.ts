import * as zlib from 'node:zlib'

/**
 * One record on disk: magic u32 | length u32 | crc u32 | seq u64 | payload[length], big-endian.
 * The CRC-32 covers length, seq and payload, so a frame whose length or seq was damaged fails
 * its check. The magic lets a reader find the next frame after damaged bytes (resync) instead of
 * giving up on the rest of a segment.
 */
export const MAGIC = 0x51595350 // 'QYSP'
export const HEADER_BYTES = 20
const MAGIC_BYTES = Buffer.from([0x51, 0x59, 0x53, 0x50])

type Crc32 = (data: Buffer, value?: number) => number

/** Pure-JS CRC-32 (IEEE, the same as zlib's) for Node builds older than 20.15. */
export function tableCrc32(): Crc32 {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return (data, value = 0) => {
    let c = (value ^ 0xffffffff) >>> 0
    for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)
    return (c ^ 0xffffffff) >>> 0
  }
}

const native = (zlib as unknown as { crc32?: Crc32 }).crc32
export const crc32: Crc32 = native ? (d, v = 0) => native(d, v) >>> 0 : tableCrc32()

// The CRC's header part (length, then seq) is gathered in one scratch buffer: CRC-32 runs on,
// so crc(length ‖ seq ‖ payload) is crc(payload, crc(length ‖ seq)). Frames are encoded and
// decoded twice per record on the ack path (append, then forward); views of the header
// (subarray) and BigInts for the seq were allocations each.
const crcHead = Buffer.alloc(12)

function frameCrc(payload: Buffer): number {
  return crc32(payload, crc32(crcHead))
}

const TWO_32 = 2 ** 32

/** The header of a frame; the payload goes out as its own buffer (writev, no copy). */
export function encodeHeader(seq: number, payload: Buffer): Buffer {
  const h = Buffer.allocUnsafe(HEADER_BYTES)
  const hi = Math.floor(seq / TWO_32)
  const lo = seq >>> 0
  h.writeUInt32BE(MAGIC, 0)
  h.writeUInt32BE(payload.length, 4)
  h.writeUInt32BE(hi, 12)
  h.writeUInt32BE(lo, 16)
  crcHead.writeUInt32BE(payload.length, 0)
  crcHead.writeUInt32BE(hi, 4)
  crcHead.writeUInt32BE(lo, 8)
  h.writeUInt32BE(frameCrc(payload), 8)
  return h
}

export type Decoded =
  | { readonly kind: 'ok'; readonly seq: number; readonly payload: Buffer; readonly size: number }
  | { readonly kind: 'short'; readonly need: number }
  | { readonly kind: 'bad' }

/**
 * Decode the frame at `at`. `short` means the bytes end inside a plausible frame (`need` bytes
 * from `at` are required); `bad` means this is not a valid frame (magic, length bound or CRC).
 */
export function decodeAt(buf: Buffer, at: number, maxPayload: number): Decoded {
  if (buf.length - at < HEADER_BYTES) return { kind: 'short', need: HEADER_BYTES }
  if (buf.readUInt32BE(at) !== MAGIC) return { kind: 'bad' }
  const len = buf.readUInt32BE(at + 4)
  if (len > maxPayload) return { kind: 'bad' }
  const size = HEADER_BYTES + len
  if (buf.length - at < size) return { kind: 'short', need: size }
  const payload = buf.subarray(at + HEADER_BYTES, at + size)
  buf.copy(crcHead, 0, at + 4, at + 8)
  buf.copy(crcHead, 4, at + 12, at + 20)
  if (frameCrc(payload) !== buf.readUInt32BE(at + 8)) return { kind: 'bad' }
  const seq = buf.readUInt32BE(at + 12) * TWO_32 + buf.readUInt32BE(at + 16)
  return { kind: 'ok', seq, payload, size }
}

/** Offset of the next magic in `buf` at or after `from`, or -1. */
export const findMagic = (buf: Buffer, from: number): number => buf.indexOf(MAGIC_BYTES, from)
