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

function frameCrc(header: Buffer, payload: Buffer): number {
  // length (4..8) and seq (12..20), then the payload
  return crc32(payload, crc32(header.subarray(12, 20), crc32(header.subarray(4, 8))))
}

/** The header of a frame; the payload goes out as its own buffer (writev, no copy). */
export function encodeHeader(seq: number, payload: Buffer): Buffer {
  const h = Buffer.allocUnsafe(HEADER_BYTES)
  h.writeUInt32BE(MAGIC, 0)
  h.writeUInt32BE(payload.length, 4)
  h.writeBigUInt64BE(BigInt(seq), 12)
  h.writeUInt32BE(frameCrc(h, payload), 8)
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
  const header = buf.subarray(at, at + HEADER_BYTES)
  const payload = buf.subarray(at + HEADER_BYTES, at + size)
  if (frameCrc(header, payload) !== buf.readUInt32BE(at + 8)) return { kind: 'bad' }
  const seq = Number(buf.readBigUInt64BE(at + 12))
  return { kind: 'ok', seq, payload, size }
}

/** Offset of the next magic in `buf` at or after `from`, or -1. */
export const findMagic = (buf: Buffer, from: number): number => buf.indexOf(MAGIC_BYTES, from)
