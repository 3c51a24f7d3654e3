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

/** Pure state machine over the stream's bytes: header byte, remaining length (varint), body. */
export function createFrameScanner(maxPacketBytes: number): FrameScanner {
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
          i++
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

/**
 * Wrap a connection so that aedes reads through the scanner. Writes go straight through.
 * `onOversize` is told the announced size just before the connection is destroyed.
 */
export function guardConnection(conn: Duplex, maxPacketBytes: number, onOversize: (bytes: number) => void): Duplex {
  const scanner = createFrameScanner(maxPacketBytes)
  let reading = false
  const guarded = new Duplex({
    read() {
      reading = true
      pump()
    },
    write(chunk, encoding, cb) {
      conn.write(chunk, encoding, cb)
    },
    final(cb) {
      conn.end(cb)
    },
    destroy(err, cb) {
      conn.destroy(err ?? undefined)
      cb(err)
    }
  })
  function pump(): void {
    while (reading) {
      const chunk = conn.read() as Buffer | null
      if (chunk === null) return
      const over = scanner.scan(chunk)
      if (over !== undefined) {
        onOversize(over)
        guarded.destroy()
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
