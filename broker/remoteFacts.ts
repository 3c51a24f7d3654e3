import type { Aedes, AedesPublishPacket } from 'aedes'
import type { Logger } from 'pino'
import { FactsMessage } from '../contracts/facts.ts'
import { FACTS_FILTER } from '../contracts/topics.ts'
import type { LocalFacts } from './localFacts.ts'

// Cluster mode: every node's dashboard folds every node's facts. A node hands its own facts to
// its in-process consumers directly (localFacts, before any Redis round trip); the facts other
// nodes commit arrive over the shared emitter. Each packet carries the id of the broker that
// published it (aedes-packet `brokerId`), so a node skips its own and folds each batch once.

type Emitter = {
  on(topic: string, fn: Handler, done?: () => void): void
  removeListener(topic: string, fn: Handler, done?: () => void): void
}
const STOP_WAIT_MS = 2000
type Handler = (packet: AedesPublishPacket, cb: () => void) => void

export async function followRemoteFacts(
  aedes: Aedes,
  localFacts: LocalFacts,
  log: Logger
): Promise<{ batches(): number; stop(): Promise<void> }> {
  const mq = (aedes as unknown as { mq: Emitter }).mq
  let batches = 0
  let malformed = 0
  const handler: Handler = (packet, cb) => {
    try {
      if (packet.brokerId === aedes.id) return
      const parsed = FactsMessage.safeParse(JSON.parse(Buffer.from(packet.payload).toString('utf8')))
      if (!parsed.success) {
        malformed++
        // Sampled: one line per power of two.
        if ((malformed & (malformed - 1)) === 0) log.error({ malformed }, 'malformed facts from another node ignored')
        return
      }
      batches++
      localFacts.publish(parsed.data.facts)
    } catch (err) {
      log.error({ err: (err as Error).message }, 'facts from another node could not be read')
    } finally {
      cb()
    }
  }
  await new Promise<void>((resolve) => mq.on(FACTS_FILTER, handler, resolve))
  return {
    batches: () => batches,
    // Bounded: with Redis away the unsubscribe would wait for it, and stopping must not.
    stop: () =>
      new Promise<void>((resolve) => {
        setTimeout(resolve, STOP_WAIT_MS).unref()
        mq.removeListener(FACTS_FILTER, handler, () => resolve())
      })
  }
}
