import mqtt from 'mqtt'
import type { Logger } from 'pino'
import type { Log } from '../lib/log.ts'
import { FactsMessage, type Fact } from '../contracts/facts.ts'
import { FACTS_FILTER } from '../contracts/topics.ts'

/** Committed facts, from the broker in this process or over MQTT as a service account. */
export interface FactSource {
  subscribe(listener: (facts: readonly Fact[]) => void): Promise<void>
  connected(): boolean
  close(): Promise<void>
}

/** Same process: the broker hands facts over directly. */
export function inProcessFacts(broker: {
  onFacts(l: (f: readonly Fact[]) => void): Promise<() => Promise<void>>
}): FactSource {
  let stop: (() => Promise<void>) | undefined
  return {
    async subscribe(listener) {
      stop = await broker.onFacts(listener)
    },
    connected: () => stop !== undefined,
    async close() {
      await stop?.()
    }
  }
}

export interface GapReplay {
  /** Calls back with the time the link to the other nodes' facts was lost, once it is back. */
  onGap(listener: (lostAt: number) => void): () => void
  /** Today's stored facts from InfluxDB, a chunk at a time. */
  read(): AsyncIterable<readonly Fact[]>
  /** When to read, after the link is back: the other nodes' forwarders need a moment to store
   *  what they acknowledged meanwhile. */
  readonly delaysMs: readonly number[]
  /** Facts that arrived this long before the loss are read back too (clocks, in-flight facts). */
  readonly marginMs: number
  readonly log: Log
}

/**
 * Cluster mode: facts other nodes committed while this node's link to the shared emitter was
 * down (Redis restarted, a network cut) never arrive over it. After the link is back, today's
 * facts that arrived since the loss are read from InfluxDB and folded: the fold de-duplicates
 * by point identity (docs/architecture.md, decision 4), so those it already has change nothing.
 */
export function withGapReplay(source: FactSource, gap: GapReplay): FactSource {
  let listener: ((facts: readonly Fact[]) => void) | undefined
  let chain: Promise<void> = Promise.resolve()
  const timers = new Set<NodeJS.Timeout>()
  let closed = false

  async function replay(since: number): Promise<void> {
    let replayed = 0
    try {
      for await (const chunk of gap.read()) {
        if (closed || !listener) return
        const missed = chunk.filter((f) => f.recvMs >= since)
        if (missed.length > 0) listener(missed)
        replayed += missed.length
      }
      gap.log.info({ since, replayed }, 'facts committed on other nodes while the link was down read back')
    } catch (err) {
      gap.log.error({ since, err: (err as Error).message }, 'reading back facts missed while the link was down failed')
    }
  }

  const stopGap = gap.onGap((lostAt) => {
    gap.log.warn({ lostAt }, "link to other nodes' facts back; reading back what it missed")
    for (const ms of gap.delaysMs) {
      const t = setTimeout(() => {
        timers.delete(t)
        chain = chain.then(() => replay(lostAt - gap.marginMs))
      }, ms)
      t.unref()
      timers.add(t)
    }
  })
  return {
    async subscribe(l) {
      listener = l
      await source.subscribe(l)
    },
    connected: () => source.connected(),
    async close() {
      closed = true
      stopGap()
      for (const t of timers) clearTimeout(t)
      await chain
      await source.close()
    }
  }
}

/**
 * Another process: a service account subscribes to `$qingyun/v1/facts/#` at QoS 1 with a
 * persistent session, so facts committed while it reconnects are delivered afterwards.
 */
export function mqttFacts(opts: {
  url: string
  serviceId: string
  token: string
  log: Logger
  connectTimeoutMs?: number
}): FactSource {
  const client = mqtt.connect(opts.url, {
    username: opts.serviceId,
    password: opts.token,
    clientId: `${opts.serviceId}-dashboard`,
    clean: false,
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
    reconnectPeriod: 1000
  })
  client.on('error', (err) => opts.log.warn({ err: err.message }, 'facts connection error'))
  return {
    async subscribe(listener) {
      client.on('message', (_topic, payload) => {
        const parsed = FactsMessage.safeParse(safeJson(payload))
        if (!parsed.success) {
          opts.log.error({ issues: parsed.error.issues.slice(0, 3) }, 'malformed facts message ignored')
          return
        }
        listener(parsed.data.facts)
      })
      if (!client.connected)
        await new Promise<void>((resolve, reject) => {
          client.once('connect', () => resolve())
          client.once('error', reject)
        })
      const granted = await client.subscribeAsync(FACTS_FILTER, { qos: 1 })
      if (granted.some((g) => g.qos === 128))
        throw new Error(`broker refused the subscription to ${FACTS_FILTER}; is ${opts.serviceId} a service account?`)
    },
    connected: () => client.connected,
    async close() {
      await client.endAsync()
    }
  }
}

function safeJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'))
  } catch {
    return undefined
  }
}
