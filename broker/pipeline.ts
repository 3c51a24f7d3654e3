// Pipelined publishes with a bound: a client's next PUBLISH is read while its earlier ones wait
// to be durable, up to a window per client and a byte budget per node.
//
// Aedes counts the packets of a socket read that are not yet done, and reads the next chunk
// only once that count is back to zero — a QoS 1 PUBLISH is done only after its PUBACK, which
// waits for the spool's group fsync (docs/architecture.md, decision 1). A device whose
// publishes arrive several to a segment (catching up after a reconnect, or answering a burst
// of acks) then waits for a whole group commit before its next segment is read, its rate tied
// to the ack latency however fast the node is. Each held publish here hands its place in that
// count back at once, so the next packets are read, validated and appended to the same group
// commit. On the other hand Aedes reads every new segment as it arrives (each 'readable' event
// lowers the count too), so alone it bounds nothing: a client that does not wait for acks
// while the spool is full would pile publishes up in memory. So a client with `window`
// publishes waiting for their ack, or any client while the node holds over `maxBytes` of
// payloads, is paused (its socket is not read; TCP backpressure reaches it) until acks go out.
// What one client can have waiting is so `window` publishes plus those of one socket read.
//
// Acks leave in the order the PUBLISH packets arrived, whatever order they became durable in
// [MQTT-4.6.0-2] (a repeated message, for instance, is settled before the one ahead of it).
//
// Aedes does not expose its read loop; it keeps it in two client fields (`_parsingBatch`, the
// count of packets of the current chunk not yet done, and `_nextBatch`, the function that
// counts one done and reads on at zero). A client without them (another Aedes version) is
// served as before, unpipelined, with one warning; broker/pipeline.test.ts fails if the fields
// stop working.
import type { Client } from 'aedes'
import type { Logger } from 'pino'

export interface PipelineLimits {
  /** Publishes of one client waiting for their ack; at it, the client is not read. */
  readonly window: number
  /** Bytes of publishes waiting for their ack across the node (payload + HELD_OVERHEAD_BYTES each); over it, no waiting client is read. */
  readonly maxBytes: number
}

export interface Pipeline {
  /**
   * Take a publish that will wait for `durable`; calls `done` when it and every publish of
   * this client before it are settled, in arrival order.
   */
  hold(client: Client, bytes: number, durable: Promise<void>, done: (err: Error | null) => void): void
  readonly stats: { readonly held: number; readonly heldBytes: number; readonly pausedClients: number }
}

/** Aedes' read loop, kept in client fields it does not type (lib/client.js). */
interface ReadLoop {
  _paused?: boolean
  _parsingBatch: number
  _nextBatch: (err?: Error) => void
  pause(): void
  resume(): void
}

interface Entry {
  settled: boolean
  err: Error | null
  /** Its place in the read loop was handed back early; given back to Aedes before `done`. */
  readonly released: boolean
  readonly bytes: number
  readonly done: (err: Error | null) => void
}

const readLoop = (c: Client): ReadLoop | null => {
  const r = c as unknown as ReadLoop
  return typeof r._parsingBatch === 'number' &&
    typeof r._nextBatch === 'function' &&
    typeof r.pause === 'function' &&
    typeof r.resume === 'function'
    ? r
    : null
}

/**
 * What a publish waiting for its ack holds beyond its payload — the parsed packet, ingest's
 * objects and facts, its lines on their way to the spool, the promises — charged against the
 * node's budget so that many small messages count for what they cost. Measured: a sampling heap
 * profile of a node with 10,000 devices under load held some 6 KiB per waiting publish.
 */
export const HELD_OVERHEAD_BYTES = 6 * 1024

export function createPipeline(limits: PipelineLimits, log: Logger): Pipeline {
  const lanes = new WeakMap<Client, Entry[]>()
  /** Clients paused here (not those Aedes pauses itself while authenticating). */
  const paused = new Set<Client>()
  const stats = { held: 0, heldBytes: 0, pausedClients: 0 }
  let warned = false

  const overBudget = (): boolean => stats.heldBytes > limits.maxBytes
  const laneFull = (c: Client): boolean => (lanes.get(c)?.length ?? 0) >= limits.window

  const pause = (c: Client, loop: ReadLoop): void => {
    if (paused.has(c) || c.closed) return
    paused.add(c)
    stats.pausedClients = paused.size
    loop.pause()
  }

  const resumeWhatMay = (): void => {
    if (overBudget()) return
    for (const c of paused) {
      if (c.closed) paused.delete(c)
      else if (!laneFull(c)) {
        paused.delete(c)
        readLoop(c)!.resume()
      }
    }
    stats.pausedClients = paused.size
  }

  const flush = (client: Client, lane: Entry[]): void => {
    while (lane.length > 0 && lane[0]!.settled) {
      const e = lane.shift()!
      stats.held--
      stats.heldBytes -= e.bytes
      // Aedes counts this packet done once more after `done` (PUBACK written): take the
      // place back first so the two counts match.
      if (e.released) (client as unknown as ReadLoop)._parsingBatch++
      e.done(e.err)
    }
    if (lane.length === 0) lanes.delete(client)
    if (paused.size > 0) resumeWhatMay()
  }

  return {
    stats,
    hold(client, bytes, durable, done) {
      let lane = lanes.get(client)
      if (!lane) lanes.set(client, (lane = []))
      const loop = readLoop(client)
      if (!loop && !warned) {
        warned = true
        log.warn('this Aedes version hides its read loop: publishes are neither pipelined nor bounded per client')
      }
      const released = loop !== null && !client.closed && loop._paused !== true
      const entry: Entry = { settled: false, err: null, released, bytes: bytes + HELD_OVERHEAD_BYTES, done }
      lane.push(entry)
      stats.held++
      stats.heldBytes += entry.bytes
      if (loop && released) {
        // Not from inside the parser's loop: the next read may parse (and hold) more packets.
        process.nextTick(() => {
          if (loop._paused)
            loop._parsingBatch-- // resume() reads on
          else loop._nextBatch()
        })
      }
      if (loop && (lane.length >= limits.window || overBudget())) pause(client, loop)
      const settle = (err: Error | null): void => {
        entry.settled = true
        entry.err = err
        flush(client, lane)
      }
      durable.then(
        () => settle(null),
        (err: unknown) => settle(err instanceof Error ? err : new Error(String(err)))
      )
    }
  }
}
