import mqttPacket from 'mqtt-packet'
import net from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createFrameScanner, guardConnection, type GuardCut } from './frameGuard.ts'

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

describe('connection guard', () => {
  /** A real TCP connection on loopback, closed when the test finishes. */
  async function socketPair(): Promise<{ server: net.Socket; client: net.Socket }> {
    const srv = net.createServer()
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const accepted = new Promise<net.Socket>((r) => srv.once('connection', r))
    const client = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1')
    const server = await accepted
    onTestFinished(() => {
      client.destroy()
      server.destroy()
      srv.close()
    })
    return { server, client }
  }
  const limits = { maxPacketBytes: 1024, maxOutgoingBytes: 1 << 20, maxInflightDeliveries: 10 }

  it('hands a packet that aedes writes corked (a PUBACK: header, then message id) to the socket in one write', async () => {
    const { server, client } = await socketPair()
    const guarded = guardConnection(server, { ...limits, onCut: () => undefined })
    const batches: number[] = []
    const writev = guarded._writev!.bind(guarded)
    guarded._writev = (chunks, cb) => {
      batches.push(chunks.length)
      writev(chunks, cb)
    }
    const got = new Promise<Buffer>((r) => client.once('data', r))
    // As mqtt-packet's writeToStream does: cork, write the pieces, uncork on the next tick.
    guarded.cork()
    expect(guarded.write(Buffer.from([0x40, 0x02]))).toBe(true)
    expect(guarded.write(Buffer.from([0x00, 0x07]))).toBe(true)
    process.nextTick(() => guarded.uncork())
    expect([...(await got)]).toEqual([0x40, 0x02, 0x00, 0x07])
    expect(batches).toEqual([2])
  })

  it('reads through the scanner: a packet announced over the limit closes the connection, unread', async () => {
    const { server, client } = await socketPair()
    const cuts: GuardCut[] = []
    let inbound = 0
    const guarded = guardConnection(server, { ...limits, onInbound: () => inbound++, onCut: (c) => cuts.push(c) })
    const read: (Buffer | null)[] = []
    guarded.on('readable', () => read.push(guarded.read() as Buffer | null))
    client.write(Buffer.from([0xc0, 0x00])) // PINGREQ
    await new Promise((r) => setTimeout(r, 50))
    // A PUBLISH announcing 2,000 bytes (remaining length 0xd0 0x0f), body not sent.
    client.write(Buffer.from([0x30, 0xd0, 0x0f]))
    await new Promise((r) => guarded.once('close', r))
    expect(read.filter((c) => c !== null).map((c) => [...c!])).toEqual([[0xc0, 0x00]])
    expect(cuts).toEqual([{ reason: 'oversize', bytes: 2003 }])
    expect(inbound).toBe(2)
  })

  it('cuts a client that does not read what it is sent', async () => {
    const { server, client } = await socketPair()
    const cuts: GuardCut[] = []
    const guarded = guardConnection(server, { ...limits, maxOutgoingBytes: 64 * 1024, onCut: (c) => cuts.push(c) })
    client.pause()
    const big = Buffer.concat([Buffer.from([0x30, 0x80, 0x40]), Buffer.alloc(8192)]) // QoS 0, 8 KB
    for (let i = 0; i < 10_000 && !guarded.destroyed; i++) expect(guarded.write(big)).toBe(true)
    expect(cuts[0]?.reason).toBe('slow')
  })

  it('cuts a client that leaves its deliveries unacknowledged', async () => {
    const { server } = await socketPair()
    const cuts: GuardCut[] = []
    const guarded = guardConnection(server, { ...limits, onCut: (c) => cuts.push(c) })
    // QoS 1 PUBLISH: topic "t", message id, no payload.
    const qos1 = Buffer.from([0x32, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01])
    for (let i = 0; i < 10; i++) guarded.write(qos1)
    expect(cuts).toEqual([])
    guarded.write(qos1)
    expect(cuts).toEqual([{ reason: 'inflight', inflight: 11 }])
  })
})
