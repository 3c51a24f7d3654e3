import type { SocketLike } from './outbox.ts'

/** The part of a ws WebSocket the tracker uses. */
export interface PingableSocket extends SocketLike {
  ping(data: string): void
  on(event: 'pong', listener: (data: Buffer) => void): unknown
}

export interface ReadTracker extends SocketLike {
  /** Bytes sent that the client has not been seen to read. */
  unread(): number
}

/**
 * How much of what we sent the client has actually read, kernel buffers included. A socket's
 * `bufferedAmount` only counts what the kernel has not taken yet, and on loopback the kernel
 * takes about 4 MB of a connection whose peer stopped reading before that number moves: a
 * bound on it alone lets every stalled screen pin megabytes for as long as it stays open.
 *
 * So the server follows its messages with a ping frame carrying a counter. The client's
 * websocket answers a ping with a pong of the same data (RFC 6455 §5.5.2–5.5.3; browsers and
 * `ws` do it by themselves), and it can only see the ping after reading every byte sent before
 * it (TCP delivers in order): a pong for ping n proves the client read everything up to it. One
 * ping is in flight at a time, sent after a write when none is, and again on each pong while
 * more was written since. `bufferedAmount` of the tracker is the larger of the socket's and
 * the unread bytes, so the outbox's bound (outbox.ts) covers both.
 */
export function trackReads(socket: PingableSocket, onRead: () => void): ReadTracker {
  let written = 0
  let confirmed = 0
  let seq = 0
  let inFlight: { id: string; at: number } | undefined

  const probe = (): void => {
    if (inFlight || written === confirmed) return
    inFlight = { id: String(++seq), at: written }
    try {
      socket.ping(inFlight.id)
    } catch {
      // A socket that is closing cannot ping; nothing more will be confirmed, nor sent.
    }
  }
  socket.on('pong', (data) => {
    if (!inFlight || data.toString() !== inFlight.id) return
    confirmed = inFlight.at
    inFlight = undefined
    probe()
    onRead()
  })

  return {
    get bufferedAmount() {
      return Math.max(socket.bufferedAmount, written - confirmed)
    },
    send(data, cb) {
      written += Buffer.byteLength(data, 'utf8')
      socket.send(data, cb)
      probe()
    },
    unread: () => written - confirmed
  }
}
