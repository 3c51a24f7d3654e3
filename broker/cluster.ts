// Cluster mode (docs/architecture.md, decision 6): broker nodes share sessions, retained
// messages, QoS 1/2 in-flight state and subscriptions through Redis (aedes-persistence-redis),
// and route every PUBLISH to every node through Redis pub/sub (mqemitter-redis). Ingest stays
// per node: a node ingests exactly what its own clients publish (decision 1), into its own spool.
import { createRequire } from 'node:module'
import { Redis, type RedisOptions } from 'ioredis'
import type { Logger } from 'pino'

const require = createRequire(import.meta.url)

/** What Aedes needs from its persistence and emitter; both libraries are CommonJS without types. */
export interface ClusterBackends {
  readonly persistence: unknown
  readonly mq: unknown
  /** Ends the persistence's Redis connection (Aedes.close ends the emitter's). */
  destroy(): Promise<void>
  /**
   * Redis pub/sub delivers at most once: what other nodes published while this node's subscriber
   * connection was down is gone. The listener hears when it is back, with the time it was lost.
   */
  onEmitterGap(listener: (lostAt: number) => void): () => void
}

export interface ClusterOptions {
  readonly url: string
  /** Offline messages handed to a persistent session on CONNECT (aedes-persistence-redis). */
  readonly maxSessionDelivery: number
  /** Seconds a message queued for an absent persistent session lives in Redis. */
  readonly offlineTtlS: number
}

/**
 * ioredis options for every cluster connection. A command waits for Redis to come back rather
 * than failing after a number of retries: a failed persistence call makes Aedes emit an error
 * and drop the client, while a waiting one only holds that client's PUBACK (the message is
 * already durable in the spool) until Redis answers again.
 */
export const redisOptions = (name: string): RedisOptions => ({
  connectionName: name,
  maxRetriesPerRequest: null,
  // Reconnect quickly, at most every 2 s, for as long as it takes.
  retryStrategy: (times) => Math.min(100 * times, 2000)
})

export function redisConnection(url: string, name: string, log: Logger): Redis {
  const conn = new Redis(url, redisOptions(name))
  let down = false
  conn.on('error', (err: Error) => {
    // One line per outage, not one per reconnect attempt.
    if (!down) log.error({ err: err.message, connection: name }, 'Redis connection lost; retrying')
    down = true
  })
  conn.on('ready', () => {
    if (down) log.info({ connection: name }, 'Redis connection back')
    down = false
  })
  return conn
}

type PersistenceFactory = (opts: Record<string, unknown>) => { destroy(cb?: () => void): unknown }
type EmitterFactory = (opts: Record<string, unknown>) => { state: NodeJS.EventEmitter }

export function createClusterBackends(opts: ClusterOptions, log: Logger): ClusterBackends {
  const persistenceRedis = require('aedes-persistence-redis') as PersistenceFactory
  const mqemitterRedis = require('mqemitter-redis') as EmitterFactory
  const persistence = persistenceRedis({
    conn: redisConnection(opts.url, 'qingyun-persistence', log),
    maxSessionDelivery: opts.maxSessionDelivery,
    packetTTL: () => opts.offlineTtlS
  })
  const subConn = redisConnection(opts.url, 'qingyun-mq-sub', log)
  const gapListeners = new Set<(lostAt: number) => void>()
  let lostAt: number | undefined
  subConn.on('close', () => {
    lostAt ??= Date.now()
  })
  subConn.on('ready', () => {
    const since = lostAt
    lostAt = undefined
    if (since !== undefined) for (const l of gapListeners) l(since)
  })
  const mq = mqemitterRedis({
    subConn,
    pubConn: redisConnection(opts.url, 'qingyun-mq-pub', log),
    // As the embedded emitter (broker/server.ts): no shared pool of delivery slots.
    concurrency: 0,
    matchEmptyLevels: true
  })
  // The emitter re-emits connection errors on `state`; without a listener that would throw.
  mq.state.on('error', (err: Error) => log.debug({ err: err.message }, 'Redis emitter error'))
  return {
    persistence,
    mq,
    onEmitterGap(listener) {
      gapListeners.add(listener)
      return () => void gapListeners.delete(listener)
    },
    destroy: () =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000)
        t.unref()
        void Promise.resolve(
          persistence.destroy(() => {
            clearTimeout(t)
            resolve()
          })
        ).catch(() => resolve())
      })
  }
}
