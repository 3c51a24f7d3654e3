/** The part of a ws WebSocket the outbox uses (a fake one in unit tests). */
export interface SocketLike {
  /** Bytes handed to the socket and not yet written to the kernel. */
  readonly bufferedAmount: number
  send(data: string, cb: (err?: Error) => void): void
}

export interface OutboxLimits {
  /** Above this many bytes in the socket, new messages wait in the outbox queue. */
  readonly highWaterBytes: number
  /** A queue longer than this (messages or bytes) means the client cannot keep up. */
  readonly maxQueuedMessages: number
  readonly maxQueuedBytes: number
}

export interface Outbox {
  /** Queue a message; false once the outbox has overflowed or was closed (the message is dropped). */
  push(text: string): boolean
  queued(): { messages: number; bytes: number }
  close(): void
}

/**
 * A bounded send path per client. Messages go straight to the socket while its buffer is under
 * the high-water mark, otherwise into a queue drained as the socket's writes complete. When the
 * queue passes its limit, `onOverflow` runs once and everything queued is dropped: memory per
 * client is bounded by highWaterBytes + maxQueuedBytes, and a client that does not read costs
 * the server nothing more — the streams and the model never wait for it.
 */
export function createOutbox(socket: SocketLike, limits: OutboxLimits, onOverflow: () => void): Outbox {
  let queue: string[] = []
  let head = 0
  let bytes = 0
  let closed = false

  const write = (text: string): void => socket.send(text, pump)
  function pump(err?: Error): void {
    if (err || closed) return
    while (head < queue.length && socket.bufferedAmount < limits.highWaterBytes) {
      const text = queue[head]!
      queue[head++] = ''
      bytes -= text.length
      write(text)
    }
    if (head === queue.length) {
      queue = []
      head = 0
    }
  }

  return {
    push(text) {
      if (closed) return false
      if (head === queue.length && socket.bufferedAmount < limits.highWaterBytes) {
        write(text)
        return true
      }
      queue.push(text)
      // UTF-16 code units: an approximation of bytes that costs nothing to compute.
      bytes += text.length
      if (queue.length - head > limits.maxQueuedMessages || bytes > limits.maxQueuedBytes) {
        closed = true
        queue = []
        head = 0
        bytes = 0
        onOverflow()
        return false
      }
      return true
    },
    queued: () => ({ messages: queue.length - head, bytes }),
    close() {
      closed = true
      queue = []
      head = 0
      bytes = 0
    }
  }
}
