import type { Aedes } from 'aedes'
import type { Logger } from 'pino'

// aedes keeps the QoS 1/2 messages for a persistent session (CleanSession 0) in its
// persistence's outgoing queue, with no bound: a service account that stays away would hold
// every fact in memory. And when it comes back, aedes writes the whole queue to it at once,
// so a queue over the client's outgoing bounds would get it cut off on every reconnect.
// Here each queue is bounded by the same bounds as a connected client (count of in-flight
// deliveries, bytes); a session over them is ended, so the client reconnects to
// sessionPresent = 0 [MQTT-3.2.2-2] and knows it must catch up from the source of truth.

interface Queued {
  count: number
  bytes: number
}

interface OutgoingPersistence {
  outgoingEnqueue(sub: { clientId: string }, packet: PacketLike): Promise<void>
  outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: PacketLike): Promise<void>
  outgoingClearMessageId(client: { id: string }, packet: PacketLike): Promise<PacketLike | undefined>
  outgoingStream(client: { id: string }): AsyncIterable<PacketLike>
  cleanSubscriptions(client: { id: string }): Promise<unknown>
}

interface PacketLike {
  topic?: string
  payload?: Buffer | string
  messageId?: number
}

/** Bytes a queued PUBLISH costs on the wire, near enough: header, topic, id, payload. */
const sizeOf = (p: PacketLike): number =>
  8 + Buffer.byteLength(p.topic ?? '') + (p.payload ? Buffer.byteLength(p.payload) : 0)

export function boundOfflineQueues(
  aedes: Aedes,
  limits: { maxCount: number; maxBytes: number },
  log: Logger
): { ended(): number } {
  const persistence = (aedes as unknown as { persistence: OutgoingPersistence }).persistence
  const clients = (aedes as unknown as { clients: Record<string, { clean?: boolean } | undefined> }).clients
  const queued = new Map<string, Queued>()
  const ending = new Set<string>()
  let ended = 0

  const over = (q: Queued | undefined, extra: number): boolean =>
    q !== undefined && (q.count + 1 > limits.maxCount || q.bytes + extra > limits.maxBytes)

  async function endSession(clientId: string): Promise<void> {
    if (ending.has(clientId)) return
    ending.add(clientId)
    const q = queued.get(clientId)
    ended++
    log.warn(
      { clientId, queued: q?.count ?? 0, queuedBytes: q?.bytes ?? 0, limits },
      'persistent session ended: its queue for an absent client reached its bound'
    )
    try {
      await persistence.cleanSubscriptions({ id: clientId })
      const stored: PacketLike[] = []
      for await (const p of persistence.outgoingStream({ id: clientId })) stored.push(p)
      for (const p of stored) await clear({ id: clientId }, p)
    } catch (err) {
      log.error({ err, clientId }, 'ending a persistent session failed')
    } finally {
      queued.delete(clientId)
      ending.delete(clientId)
    }
  }

  const add = (clientId: string, packet: PacketLike): boolean => {
    const size = sizeOf(packet)
    const q = queued.get(clientId)
    // A connected client is bounded by its connection (in-flight deliveries, bytes).
    if (clients[clientId] === undefined && (ending.has(clientId) || over(q, size))) {
      void endSession(clientId)
      return false
    }
    if (q) {
      q.count++
      q.bytes += size
    } else {
      queued.set(clientId, { count: 1, bytes: size })
    }
    return true
  }

  const enqueue = persistence.outgoingEnqueue.bind(persistence)
  const enqueueCombi = persistence.outgoingEnqueueCombi.bind(persistence)
  const clear = persistence.outgoingClearMessageId.bind(persistence)
  persistence.outgoingEnqueue = async (sub, packet) => {
    if (add(sub.clientId, packet)) await enqueue(sub, packet)
  }
  persistence.outgoingEnqueueCombi = async (subs, packet) => {
    const kept = subs.filter((s) => add(s.clientId, packet))
    if (kept.length > 0) await enqueueCombi(kept, packet)
  }
  persistence.outgoingClearMessageId = async (client, packet) => {
    const removed = await clear(client, packet)
    const q = queued.get(client.id)
    if (removed && q) {
      q.count = Math.max(0, q.count - 1)
      q.bytes = Math.max(0, q.bytes - sizeOf(removed))
      if (q.count === 0) queued.delete(client.id)
    }
    return removed
  }
  // A persistent client that leaves with more queued than it could take back on reconnect.
  aedes.on('clientDisconnect', (client) => {
    if (client.clean) return
    const q = queued.get(client.id)
    if (q && (q.count > limits.maxCount || q.bytes > limits.maxBytes)) void endSession(client.id)
  })
  return { ended: () => ended }
}
