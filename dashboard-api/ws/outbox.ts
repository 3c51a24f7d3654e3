/** The part of a ws WebSocket the outbox uses (a fake one in unit tests). */
export interface SocketLike {
  /** Bytes handed to the socket and not yet written to the kernel. */
  readonly bufferedAmount: number
  send(data: string, cb: (err?: Error) => void): void
}

export interface OutboxLimits {
  /** Above this many bytes in the socket, new messages wait in the outbox queue. */
  readonly highWaterBytes: number
  /** A queue longer than this many messages means the client cannot keep up. */
  readonly maxQueuedMessages: number
  /**
   * Bytes waiting for the client at most: what the socket holds (`bufferedAmount`, written but
   * not yet taken by the kernel) plus the queue, whatever the message (snapshots, replays,
   * deltas, heartbeats). One message is always taken by a connection with nothing waiting,
   * so a snapshot larger than the bound (its size is bounded by the registry) still goes out.
   */
  readonly maxBufferedBytes: number
}

export interface Overflow {
  /** Bytes that were waiting (socket + queue) and the size of the message that did not fit. */
  readonly waitingBytes: number
  readonly messageBytes: number
  readonly queuedMessages: number
}

export interface Outbox {
  /** Queue a message; false once the outbox has overflowed or was closed (the message is dropped). */
  push(text: string): boolean
  /** The socket can take more (e.g. the client was seen to read): send what is queued. */
  drain(): void
  queued(): { messages: number; bytes: number }
  close(): void
}

/**
 * A bounded send path per client. Messages go straight to the socket while its buffer is under
 * the high-water mark, otherwise into a queue drained as the socket's writes complete. When
 * the bytes waiting for the client would pass maxBufferedBytes (or the queue maxQueuedMessages),
 * `onOverflow` runs once and everything queued is dropped: memory per client is bounded by
 * maxBufferedBytes (plus the kernel's socket buffers), and a client that does not read costs
 * the server nothing more — the streams and the model never wait for it.
 *
 * The bound is on bytes, not on a message count: a screen subscribed to a few channels gets a
 * few messages a second, so a count-based limit took minutes to notice a client that stopped
 * reading while its socket's buffers kept growing.
 */
export function createOutbox(socket: SocketLike, limits: OutboxLimits, onOverflow: (o: Overflow) => void): Outbox {
  let queue: string[] = []
  let sizes: number[] = []
  let head = 0
  let bytes = 0
  let closed = false

  const reset = (): void => {
    queue = []
    sizes = []
    head = 0
    bytes = 0
  }
  const write = (text: string): void => socket.send(text, pump)
  function pump(err?: Error): void {
    if (err || closed) return
    while (head < queue.length && socket.bufferedAmount < limits.highWaterBytes) {
      const text = queue[head]!
      bytes -= sizes[head]!
      queue[head++] = ''
      write(text)
    }
    if (head === queue.length) reset()
  }
  const overflow = (o: Overflow): false => {
    closed = true
    reset()
    onOverflow(o)
    return false
  }

  return {
    push(text) {
      if (closed) return false
      const size = Buffer.byteLength(text, 'utf8')
      const waiting = socket.bufferedAmount + bytes
      const messages = queue.length - head
      const o = { waitingBytes: waiting, messageBytes: size, queuedMessages: messages }
      if (waiting > 0 && waiting + size > limits.maxBufferedBytes) return overflow(o)
      if (messages === 0 && socket.bufferedAmount < limits.highWaterBytes) {
        write(text)
        return true
      }
      if (messages + 1 > limits.maxQueuedMessages) return overflow(o)
      queue.push(text)
      sizes.push(size)
      bytes += size
      return true
    },
    drain: () => pump(),
    queued: () => ({ messages: queue.length - head, bytes }),
    close() {
      closed = true
      reset()
    }
  }
}
