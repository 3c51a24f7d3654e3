import { Duplex } from 'node:stream'

// MQTT 3.1.1 lets a packet announce up to 256 MB [MQTT-2.2.3]; aedes' parser buffers a
// packet whole before anyone can look at it. This guard reads only the fixed headers as the
// bytes stream past and closes the connection the moment a packet announces more than the
// limit, so a hostile or broken device cannot make the broker buffer it. Payloads up to the
// limit still reach ingest, which rejects those above QINGYUN_MAX_PAYLOAD_BYTES with a notice.

export interface FrameScanner {
  /** Feed the next chunk; returns the announced size of the first packet over the limit, or undefined. */
  scan(chunk: Uint8Array): number | undefined
}

/**
 * Pure state machine over the stream's bytes: header byte, remaining length (varint), body.
 * `onHeader` sees each packet's first byte (type and flags [MQTT-2.2]).
 */
export function createFrameScanner(maxPacketBytes: number, onHeader?: (byte: number) => void): FrameScanner {
  let state: 'header' | 'length' | 'body' = 'header'
  let length = 0
  let multiplier = 1
  let lengthBytes = 0
  let remaining = 0
  return {
    scan(chunk) {
      let i = 0
      while (i < chunk.length) {
        if (state === 'header') {
          const header = chunk[i++]!
          onHeader?.(header)
          state = 'length'
          length = 0
          multiplier = 1
          lengthBytes = 0
        } else if (state === 'length') {
          const b = chunk[i++]!
          length += (b & 0x7f) * multiplier
          multiplier *= 128
          lengthBytes++
          if ((b & 0x80) === 0 || lengthBytes === 4) {
            // 1 header byte + the length bytes + the body.
            if (1 + lengthBytes + length > maxPacketBytes) return 1 + lengthBytes + length
            remaining = length
            state = remaining === 0 ? 'header' : 'body'
          }
        } else {
          const take = Math.min(remaining, chunk.length - i)
          i += take
          remaining -= take
          if (remaining === 0) state = 'header'
        }
      }
      return undefined
    }
  }
}

const PUBLISH = 3
const PUBACK = 4
const PUBREC = 5
const packetType = (headerByte: number): number => headerByte >> 4
const qosOf = (headerByte: number): number => (headerByte >> 1) & 3

export interface GuardOptions {
  readonly maxPacketBytes: number
  /** Bytes the broker may buffer for this connection beyond what the network took. */
  readonly maxOutgoingBytes: number
  /** QoS 1/2 PUBLISHes sent to this client and not yet acknowledged (PUBACK / PUBREC). */
  readonly maxInflightDeliveries: number
  /** Called for each inbound chunk (idle timers). */
  readonly onInbound?: () => void
  /** Told why just before the connection is destroyed. */
  readonly onCut: (reason: GuardCut) => void
}

export type GuardCut =
  | { readonly reason: 'oversize'; readonly bytes: number }
  | { readonly reason: 'slow'; readonly bufferedBytes: number }
  | { readonly reason: 'inflight'; readonly inflight: number }

/**
 * Wrap a connection so that aedes reads through the scanner and writes through a bound.
 *
 * Writes complete at once: aedes' deliveries call back to mqemitter as soon as the packet is
 * queued on the socket, so no delivery to this client ever waits for it to read (aedes'
 * write() would otherwise hold the delivery, its mqemitter slot and the publisher's
 * callback until 'drain' or drainTimeout). What this client has not read stays counted in
 * the socket's writableLength; past `maxOutgoingBytes` the client is cut off at once.
 */
export function guardConnection(conn: Duplex, opts: GuardOptions): Duplex {
  let inflight = 0
  const cut = (why: GuardCut): void => {
    if (guarded.destroyed) return
    opts.onCut(why)
    guarded.destroy()
  }
  const scanner = createFrameScanner(opts.maxPacketBytes, (b) => {
    const type = packetType(b)
    if ((type === PUBACK || type === PUBREC) && inflight > 0) inflight--
  })
  // Outgoing frames are the broker's own, so they need no size limit, only counting.
  const outgoing = createFrameScanner(Number.MAX_SAFE_INTEGER, (b) => {
    if (packetType(b) === PUBLISH && qosOf(b) > 0) inflight++
  })
  let reading = false
  const guarded = new Duplex({
    // mqtt-packet writes a packet as several chunks; completing each at once keeps the
    // guard's own buffer empty, so writableLength below is the socket's.
    read() {
      reading = true
      pump()
    },
    write(chunk: Buffer, _encoding, cb) {
      send(chunk)
      cb()
    },
    // aedes corks the stream around each packet (mqtt-packet writes header and body apart):
    // one socket write per packet, so a PUBACK never goes out as two small segments that
    // Nagle's algorithm would hold for the peer's delayed ACK (~40 ms per ack on Linux).
    writev(chunks, cb) {
      send(chunks.length === 1 ? (chunks[0]!.chunk as Buffer) : Buffer.concat(chunks.map((c) => c.chunk as Buffer)))
      cb()
    },
    final(cb) {
      conn.end(cb)
    },
    destroy(err, cb) {
      conn.destroy(err ?? undefined)
      cb(err)
    }
  })
  function send(bytes: Buffer): void {
    if (conn.destroyed) return
    outgoing.scan(bytes)
    conn.write(bytes)
    if (conn.writableLength > opts.maxOutgoingBytes) cut({ reason: 'slow', bufferedBytes: conn.writableLength })
    else if (inflight > opts.maxInflightDeliveries) cut({ reason: 'inflight', inflight })
  }
  function pump(): void {
    while (reading) {
      const chunk = conn.read() as Buffer | null
      if (chunk === null) return
      opts.onInbound?.()
      const over = scanner.scan(chunk)
      if (over !== undefined) {
        cut({ reason: 'oversize', bytes: over })
        return
      }
      reading = guarded.push(chunk)
    }
  }
  conn.on('readable', pump)
  conn.on('end', () => guarded.push(null))
  conn.on('error', (err) => guarded.destroy(err))
  conn.on('close', () => {
    if (!guarded.destroyed) guarded.destroy()
  })
  return guarded
}
