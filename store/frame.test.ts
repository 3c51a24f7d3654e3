import { randomBytes } from 'node:crypto'
import * as zlib from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { crc32, decodeAt, encodeHeader, HEADER_BYTES, tableCrc32 } from './frame.ts'

const frame = (seq: number, payload: Buffer): Buffer => Buffer.concat([encodeHeader(seq, payload), payload])

describe('CRC-32', () => {
  it('the pure-JS table CRC matches the standard check value and zlib', () => {
    const js = tableCrc32()
    expect(js(Buffer.from('123456789'))).toBe(0xcbf43926)
    const native = (zlib as unknown as { crc32?: (b: Buffer, v?: number) => number }).crc32
    for (let i = 0; i < 50; i++) {
      const b = randomBytes(i * 37)
      expect(js(b)).toBe(crc32(b))
      if (native) expect(js(b)).toBe(native(b) >>> 0)
      // incremental use, as the frame CRC chains header parts and payload
      expect(js(b.subarray(7), js(b.subarray(0, 7)))).toBe(js(b))
    }
  })
})

describe('frame codec', () => {
  it('round-trips seq and payload, including 64-bit-safe seqs and empty payloads', () => {
    const cases = [
      [1, Buffer.from('hello')],
      [2 ** 53 - 1, Buffer.alloc(0)],
      [123456789, randomBytes(5000)]
    ] as const
    for (const [seq, p] of cases) {
      const d = decodeAt(frame(seq, p), 0, 1 << 20)
      expect(d).toMatchObject({ kind: 'ok', seq, size: HEADER_BYTES + p.length })
      if (d.kind === 'ok') expect(d.payload.equals(p)).toBe(true)
    }
  })

  it('writes the documented layout: magic, length, CRC-32 of length ‖ seq ‖ payload, seq, all big-endian', () => {
    // Spools written by earlier versions must still read: the bytes are fixed by the format.
    for (const [seq, p] of [
      [7, Buffer.from('fill,bin=b-1 fill_pct=42 1')],
      [2 ** 40 + 5, randomBytes(300)],
      [2 ** 53 - 1, Buffer.alloc(0)]
    ] as const) {
      const len = Buffer.alloc(4)
      len.writeUInt32BE(p.length)
      const seq64 = Buffer.alloc(8)
      seq64.writeBigUInt64BE(BigInt(seq))
      const crc = Buffer.alloc(4)
      crc.writeUInt32BE(tableCrc32()(Buffer.concat([len, seq64, p])))
      expect(encodeHeader(seq, p).toString('hex')).toBe(
        Buffer.concat([Buffer.from('51595350', 'hex'), len, crc, seq64]).toString('hex')
      )
    }
  })

  it('any single flipped byte makes the frame bad', () => {
    const f = frame(42, Buffer.from('{"kind":"weighing","netKg":1200}'))
    for (let i = 0; i < f.length; i++) {
      const g = Buffer.from(f)
      g[i] = g[i]! ^ 0x01
      const kind = decodeAt(g, 0, 1 << 20).kind
      // a damaged length may also point past the end (then a reader resyncs the same way)
      if (i >= 4 && i < 8) expect(['bad', 'short'], `byte ${i}`).toContain(kind)
      else expect(kind, `byte ${i}`).toBe('bad')
    }
  })

  it('a cut frame is short (not bad) and says how much it needs; an absurd length is bad', () => {
    const f = frame(7, randomBytes(100))
    expect(decodeAt(f.subarray(0, 10), 0, 1 << 20)).toEqual({ kind: 'short', need: HEADER_BYTES })
    expect(decodeAt(f.subarray(0, 60), 0, 1 << 20)).toEqual({ kind: 'short', need: 120 })
    expect(decodeAt(f, 0, 50).kind).toBe('bad')
  })
})
