import mqttPacket from 'mqtt-packet'
import { describe, expect, it } from 'vitest'
import { createFrameScanner } from './frameGuard.ts'

const publish = (payloadBytes: number): Buffer =>
  mqttPacket.generate({
    cmd: 'publish',
    topic: 'v1/devices/d/fill',
    payload: Buffer.alloc(payloadBytes, 0x61),
    qos: 1,
    messageId: 7,
    retain: false,
    dup: false
  })

describe('frame scanner', () => {
  it('lets packets up to the limit through, byte by byte or whole', () => {
    const packets = Buffer.concat([publish(10), publish(1000), publish(0)])
    expect(createFrameScanner(1100).scan(packets)).toBeUndefined()
    const s = createFrameScanner(1100)
    for (const b of packets) expect(s.scan(Buffer.of(b))).toBeUndefined()
  })

  it('reports the first packet that announces more than the limit, before its body arrives', () => {
    const big = publish(300_000)
    const s = createFrameScanner(256 * 1024)
    expect(s.scan(publish(100))).toBeUndefined()
    // Only the fixed header (1 byte + 3 length bytes) is needed to decide.
    expect(s.scan(big.subarray(0, 4))).toBe(big.length)
  })

  it('decodes 4-byte remaining lengths', () => {
    // 0x30 PUBLISH, remaining length 0x0FFFFFFF (max, 268,435,455).
    expect(createFrameScanner(1 << 20).scan(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]))).toBe(1 + 4 + 268_435_455)
  })
})

describe('connection guard writes', () => {
  it('hands a packet that aedes writes corked (a PUBACK: header, then message id) to the socket in one write', async () => {
    const { PassThrough } = await import('node:stream')
    const { guardConnection } = await import('./frameGuard.ts')
    const socket = new PassThrough()
    const writes: number[] = []
    const write = socket.write.bind(socket)
    socket.write = ((chunk: Buffer, ...rest: never[]) => {
      writes.push(chunk.length)
      return write(chunk, ...rest)
    }) as typeof socket.write
    const guarded = guardConnection(socket, {
      maxPacketBytes: 1024,
      maxOutgoingBytes: 1 << 20,
      maxInflightDeliveries: 10,
      onCut: () => undefined
    })
    // As mqtt-packet's writeToStream does: cork, write the pieces, uncork on the next tick.
    guarded.cork()
    guarded.write(Buffer.from([0x40, 0x02]))
    guarded.write(Buffer.from([0x00, 0x07]))
    process.nextTick(() => guarded.uncork())
    await new Promise((r) => setTimeout(r, 10))
    expect(writes).toEqual([4])
  })
})
