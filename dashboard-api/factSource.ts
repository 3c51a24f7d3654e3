import mqtt from 'mqtt'
import type { Logger } from 'pino'
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
