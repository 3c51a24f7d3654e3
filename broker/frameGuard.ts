import type { Duplex } from 'node:stream'

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
 * Guard a connection in place: aedes reads through the scanner and writes through a bound.
 * The connection's own `read` and `write` are wrapped (no stream in between: a second stream
 * layer cost every read and write a pass through its buffers, and ~1 KB per connection).
 *
 * aedes reads in paused mode, `conn.read()` on 'readable' once its last batch is handled, so
 * every byte it parses passes the scanner first; the socket stops reading from the kernel once
 * its own buffer is full, so a packet announced too large is seen after at most that much.
 *
 * Writes complete at once: `write` always answers true, so aedes never waits for 'drain' —
 * its deliveries call back to mqemitter as soon as the packet is queued on the socket, so no
 * delivery to this client ever waits for it to read (aedes' write() would otherwise hold the
 * delivery, its mqemitter slot and the publisher's callback until 'drain' or drainTimeout).
 * What this client has not read stays counted in the socket's writableLength; past
 * `maxOutgoingBytes` the client is cut off at once. mqtt-packet corks the stream around each
 * packet, so header and body still leave in one write (no Nagle wait for the peer's delayed
 * ACK, ~40 ms per ack on Linux).
 */
export function guardConnection<T extends Duplex>(conn: T, opts: GuardOptions): T {
  let inflight = 0
  const cut = (why: GuardCut): void => {
    if (conn.destroyed) return
    opts.onCut(why)
    conn.destroy()
  }
  const scanner = createFrameScanner(opts.maxPacketBytes, (b) => {
    const type = packetType(b)
    if ((type === PUBACK || type === PUBREC) && inflight > 0) inflight--
  })
  // Outgoing frames are the broker's own, so they need no size limit, only counting.
  const outgoing = createFrameScanner(Number.MAX_SAFE_INTEGER, (b) => {
    if (packetType(b) === PUBLISH && qosOf(b) > 0) inflight++
  })
  const read = conn.read
  conn.read = function guardedRead(this: T, size?: number) {
    const chunk = read.call(this, size) as Buffer | string | null
    if (chunk === null || chunk.length === 0) return chunk
    opts.onInbound?.()
    const over = scanner.scan(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
    if (over !== undefined) {
      cut({ reason: 'oversize', bytes: over })
      return null
    }
    return chunk
  }
  const write = conn.write as (chunk: unknown, encoding?: unknown, cb?: unknown) => boolean
  conn.write = function guardedWrite(this: T, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    if (conn.destroyed) return true
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
        : (chunk as Uint8Array)
    outgoing.scan(bytes)
    write.call(this, bytes, typeof encoding === 'function' ? encoding : cb)
    if (conn.writableLength > opts.maxOutgoingBytes) cut({ reason: 'slow', bufferedBytes: conn.writableLength })
    else if (inflight > opts.maxInflightDeliveries) cut({ reason: 'inflight', inflight })
    return true
  } as T['write']
  return conn
}
