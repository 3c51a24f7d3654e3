// Cluster mode's parts for one node (README "Running several nodes"), built once here and passed
// in (docs/conventions.md, rule 5): the broker's shared persistence and emitter (broker/cluster.ts)
// and the alert lease (dashboard-api/alerts/lease.ts) with its channel for acknowledgements.
import type { Logger } from 'pino'
import { createClusterBackends, redisConnection, type ClusterBackends } from '../broker/cluster.ts'
import { createLease, fencedSink, type Lease } from '../dashboard-api/alerts/lease.ts'
import { createLeasedAlerts, type LeasedAlerts, type RemoteAck } from '../dashboard-api/alerts/leasedEngine.ts'
import type { AlertEngine } from '../dashboard-api/alerts/types.ts'
import { withGapReplay, type FactSource } from '../dashboard-api/factSource.ts'
import { readFactChunks } from '../dashboard-api/model/rebuild.ts'
import type { InfluxClient } from '../influx/client.ts'
import type { Config } from '../lib/config.ts'
import { localDate, startOfLocalDay } from '../lib/time.ts'
import type { Sink } from '../store/sink.ts'

/** A node without the lease reloads the holder's alerts from InfluxDB this often. */
const ALERT_RELOAD_MS = 5000
/** After the link to other nodes' facts is back, read back what it missed this long after (ms):
 *  soon, and once more for facts other nodes' forwarders store later. */
const GAP_REPLAY_DELAYS_MS = [2000, 15_000]

export interface NodeCluster {
  readonly backends: ClusterBackends
  /** The alert engine behind the lease; `owner` names this node in the lease (the broker's id). */
  alerts(opts: {
    owner: string
    sink: Sink
    create: (sink: Sink) => AlertEngine
    now: () => number
  }): Promise<LeasedAlerts>
  readonly lease: () => Lease | undefined
  /** This node's facts in-process, other nodes' over Redis, and what Redis lost read back from InfluxDB. */
  facts(local: FactSource, influx: InfluxClient, now: () => number): FactSource
  /**
   * Tell the other nodes to read back from InfluxDB today's facts that arrived since `sinceMs`:
   * this node started again and has stored what it inherited, but a node killed between its
   * spool's fsync and its publish to Redis took those facts' live copies with it.
   */
  announceStored(sinceMs: number): Promise<void>
  close(): Promise<void>
}

export function createNodeCluster(redis: NonNullable<Config['redis']>, config: Config, log: Logger): NodeCluster {
  const clusterLog = log.child({ component: 'cluster' })
  const backends = createClusterBackends(
    { url: redis.url, maxSessionDelivery: config.mqtt.maxInflight, offlineTtlS: redis.offlineTtlS },
    clusterLog
  )
  const prefix = `qingyun:${config.influx.db}:alerts`
  const ackChannel = `${prefix}:acks`
  const storedChannel = `qingyun:${config.influx.db}:stored`
  const storedListeners = new Set<(sinceMs: number) => void>()
  const conn = redisConnection(redis.url, 'qingyun-lease', clusterLog)
  const sub = redisConnection(redis.url, 'qingyun-acks', clusterLog)
  let lease: Lease | undefined
  let leased: LeasedAlerts | undefined

  return {
    backends,
    lease: () => lease,
    facts: (local, influx, now) => {
      sub.on('message', (channel: string, message: string) => {
        if (channel !== storedChannel) return
        const since = parseStored(message)
        if (since !== undefined) for (const l of storedListeners) l(since)
      })
      void sub.subscribe(storedChannel).catch((err: Error) => {
        clusterLog.error({ err: err.message }, 'cannot follow the announcements of stored backlogs')
      })
      return withGapReplay(local, {
        onGap: (l) => {
          const stopGap = backends.onEmitterGap(l)
          storedListeners.add(l)
          return () => {
            stopGap()
            storedListeners.delete(l)
          }
        },
        read: () => readFactChunks(influx, startOfLocalDay(localDate(now(), config.tz), config.tz), now() + 3_600_000),
        delaysMs: GAP_REPLAY_DELAYS_MS,
        marginMs: 5000,
        log: clusterLog
      })
    },
    async announceStored(sinceMs) {
      clusterLog.info({ sinceMs }, 'started again with its backlog stored; the other nodes read back its last facts')
      await conn.publish(storedChannel, JSON.stringify({ since: sinceMs }))
    },
    async alerts({ owner, sink, create, now }) {
      const alertsLog = log.child({ component: 'alerts' })
      lease = createLease({
        redis: conn,
        key: `${prefix}:lease`,
        owner,
        ttlMs: redis.alertLeaseTtlMs,
        log: alertsLog,
        now
      })
      const l = lease
      leased = createLeasedAlerts({
        lease: l,
        create: (fenced) => create(fenced ? fencedSink(sink, l) : sink),
        reloadMs: ALERT_RELOAD_MS,
        forwardAck: (ack) => void conn.publish(ackChannel, JSON.stringify(ack)).catch(() => undefined),
        log: alertsLog,
        now
      })
      const target = leased
      sub.on('message', (channel: string, message: string) => {
        if (channel !== ackChannel) return
        const ack = parseAck(message)
        if (ack) void target.applyRemoteAck(ack)
      })
      await sub.subscribe(ackChannel)
      return target
    },
    async close() {
      // Releasing the lease lets another node take it at once; with Redis away it expires instead.
      await Promise.race([lease?.close(), new Promise((r) => setTimeout(r, 2000).unref())])
      sub.disconnect()
      conn.disconnect()
    }
  }
}

function parseStored(message: string): number | undefined {
  try {
    const since = (JSON.parse(message) as { since?: unknown }).since
    return typeof since === 'number' && Number.isFinite(since) ? since : undefined
  } catch {
    return undefined
  }
}

function parseAck(message: string): RemoteAck | undefined {
  try {
    const v = JSON.parse(message) as Partial<RemoteAck>
    if (typeof v.alertId === 'string' && typeof v.by === 'string' && typeof v.at === 'number')
      return {
        alertId: v.alertId.slice(0, 200),
        by: v.by.slice(0, 200),
        at: v.at,
        ...(typeof v.note === 'string' ? { note: v.note.slice(0, 500) } : {})
      }
  } catch {
    /* not ours */
  }
  return undefined
}
