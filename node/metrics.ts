// The node's Prometheus metrics (README "Metrics"). Nearly everything here is a number the
// parts already keep for /readyz (broker, ingest, spool, forwarder, writer, alerts): the
// collectors read them when Prometheus scrapes, so a metric adds no work per message. The only
// per-message counts are the two of `counts` (one increment each, in node/system.ts).
import { collectDefaultMetrics, Counter, Gauge, type Metric, type Registry } from 'prom-client'
import { RejectionCode } from '../contracts/rejection.ts'
import type { Alert } from '../contracts/ops.ts'
import { Severity } from '../contracts/ops.ts'
import type { BrokerStats } from '../broker/server.ts'
import type { IngestStats } from '../ingest/ingest.ts'
import type { ForwarderStats } from '../store/forwarder.ts'
import type { WriterStats, FailureReason } from '../store/influxWriter.ts'
import type { SpoolStats } from '../store/spool.ts'
import { bucketUpperMs, LATENCY_BUCKETS, type LatencyHistogram } from '../store/stats.ts'

/** Messages handed to ingest, and those it made durable (each then gets its PUBACK). */
export interface MessageCounts {
  received: number
  acked: number
}

export interface NodeMetricSources {
  readonly broker: () => BrokerStats
  readonly ingest: () => IngestStats
  readonly counts: Readonly<MessageCounts>
  readonly puback: () => LatencyHistogram
  readonly spool: () => SpoolStats
  readonly spoolMaxBytes: number
  readonly fsync: () => LatencyHistogram
  readonly forwarder: () => ForwarderStats
  readonly writer: () => WriterStats
  readonly writeLatency: () => LatencyHistogram
  /** Open alerts; undefined while the model is not ready (today not rebuilt yet). */
  readonly openAlerts: () => readonly Alert[] | undefined
}

const FAILURE_REASONS: readonly FailureReason[] = ['network', 'server', 'throttled', 'config', 'unexpected']

/** Histogram buckets exported, as bucket indexes of store/stats.ts: 128 µs … 33.6 s (2^7 … 2^25 µs).
 *  The log2 buckets are cumulative in Prometheus, so leaving out the lowest loses nothing. */
const FIRST_BUCKET = 7
const LAST_BUCKET = 25

/**
 * A Prometheus histogram read from one of the store's log2 latency histograms (store/stats.ts):
 * bucket i holds (2^(i-1), 2^i] µs, which is Prometheus' `le` rule. prom-client formats any
 * metric object that has a name and get(); its Histogram class would need an observe() per
 * event on the hot path, which these histograms already count.
 */
function log2Histogram(name: string, help: string, read: () => LatencyHistogram): Metric {
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    // Registry.resetMetrics() calls this; the counts belong to the store and are not reset.
    reset: () => undefined,
    get: async () => {
      const h = read()
      const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = []
      let cumulative = 0
      for (let i = 0; i < LATENCY_BUCKETS; i++) {
        cumulative += h.counts[i] ?? 0
        if (i >= FIRST_BUCKET && i <= LAST_BUCKET) {
          values.push({ metricName: `${name}_bucket`, labels: { le: bucketUpperMs(i) / 1000 }, value: cumulative })
        }
      }
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: h.count })
      values.push({ metricName: `${name}_sum`, labels: {}, value: h.sumMs / 1000 })
      values.push({ metricName: `${name}_count`, labels: {}, value: h.count })
      return { name, help, type: 'histogram', aggregator: 'sum', values }
    }
  }
  return metric as unknown as Metric
}

/** A counter whose value is read from a running total kept elsewhere. */
function readCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset()
      this.inc(read())
    }
  })
}

function readGauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read())
    }
  })
}

/** Adds the node's metrics, and prom-client's process metrics (event-loop lag, memory), to `registry`. */
export function registerNodeMetrics(registry: Registry, src: NodeMetricSources): void {
  collectDefaultMetrics({ register: registry })

  readGauge(registry, 'qingyun_mqtt_connections', 'MQTT clients connected now', () => src.broker().connectedClients)
  new Counter({
    name: 'qingyun_mqtt_disconnects_total',
    help: 'MQTT clients the broker disconnected for breaking a limit, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      const b = src.broker()
      this.reset()
      this.inc({ reason: 'oversize' }, b.oversizeDisconnects)
      this.inc({ reason: 'slow' }, b.slowClientDisconnects)
      this.inc({ reason: 'inflight' }, b.inflightDisconnects)
      this.inc({ reason: 'idle' }, b.idleDisconnects)
    }
  })
  readCounter(registry, 'qingyun_mqtt_auth_failures_total', 'MQTT CONNECTs refused', () => src.broker().authFailures)
  readCounter(
    registry,
    'qingyun_mqtt_publishes_denied_total',
    'PUBLISHes refused by the ACL (the connection is closed)',
    () => src.broker().deniedPublishes
  )

  readCounter(registry, 'qingyun_messages_received_total', 'PUBLISHes handed to ingest', () => src.counts.received)
  readCounter(
    registry,
    'qingyun_messages_acked_total',
    'PUBLISHes durable in the spool, acknowledged (valid or not)',
    () => src.counts.acked
  )
  readCounter(registry, 'qingyun_ingest_objects_accepted_total', 'Data objects stored', () => src.ingest().accepted)
  new Counter({
    name: 'qingyun_ingest_objects_rejected_total',
    help: 'Data objects stored as rejections, by code',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      const rejected = src.ingest().rejected
      this.reset()
      // Every code of the catalog, so a rate() over a code that has not happened yet is 0.
      for (const code of RejectionCode.options) this.inc({ code }, rejected[code] ?? 0)
    }
  })
  readCounter(registry, 'qingyun_ingest_duplicates_total', 'Retransmitted data points', () => src.ingest().duplicates)
  readCounter(
    registry,
    'qingyun_ingest_conflicts_total',
    'Data points rewritten with other content',
    () => src.ingest().conflicts
  )
  registry.registerMetric(
    log2Histogram(
      'qingyun_puback_latency_seconds',
      'PUBLISH to PUBACK: the time ingest takes to make it durable',
      src.puback
    )
  )

  readGauge(registry, 'qingyun_spool_bytes', 'Spool bytes on disk', () => src.spool().bytesOnDisk)
  readGauge(
    registry,
    'qingyun_spool_unforwarded_bytes',
    'Spool bytes not yet in InfluxDB (PUBACKs wait at qingyun_spool_max_bytes)',
    () => src.spool().unforwardedBytes
  )
  readGauge(registry, 'qingyun_spool_max_bytes', 'QINGYUN_SPOOL_MAX_BYTES', () => src.spoolMaxBytes)
  readGauge(registry, 'qingyun_spool_segments', 'Spool segment files', () => src.spool().segments)
  readGauge(registry, 'qingyun_spool_full', '1 while the spool is full and PUBACKs wait', () =>
    src.spool().full ? 1 : 0
  )
  readCounter(
    registry,
    'qingyun_spool_write_errors_total',
    'Failed spool writes or fsyncs (retried)',
    () => src.spool().writeErrors
  )
  registry.registerMetric(log2Histogram('qingyun_spool_fsync_seconds', 'Spool write + fsync latency', src.fsync))

  readGauge(
    registry,
    'qingyun_forward_lag_points',
    'Records durable in the spool, not yet in InfluxDB',
    () => src.forwarder().lagRecords
  )
  readGauge(
    registry,
    'qingyun_forward_lag_seconds',
    'Age of the oldest record not yet in InfluxDB (0 when caught up)',
    () => src.forwarder().lagMs / 1000
  )
  readCounter(
    registry,
    'qingyun_forwarded_points_total',
    'Records carried from the spool to InfluxDB',
    () => src.forwarder().forwardedRecords
  )

  registry.registerMetric(
    log2Histogram('qingyun_influx_write_seconds', 'One HTTP write to InfluxDB /write', src.writeLatency)
  )
  new Counter({
    name: 'qingyun_influx_write_errors_total',
    help: 'Failed InfluxDB writes, by kind (every one is retried)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const f = src.writer().failures
      this.reset()
      for (const kind of FAILURE_REASONS) this.inc({ kind }, f[kind])
    }
  })
  readCounter(registry, 'qingyun_influx_lines_written_total', 'Lines InfluxDB accepted', () => src.writer().lines)
  readCounter(
    registry,
    'qingyun_influx_lines_rejected_total',
    'Lines InfluxDB refused for what they are',
    () => src.writer().rejectedLines
  )

  new Gauge({
    name: 'qingyun_alerts_open',
    help: 'Open alerts, by severity',
    labelNames: ['severity'],
    registers: [registry],
    collect() {
      const open = src.openAlerts()
      this.reset()
      if (open === undefined) return
      const by: Record<string, number> = {}
      for (const a of open) by[a.severity] = (by[a.severity] ?? 0) + 1
      for (const severity of Severity.options) this.set({ severity }, by[severity] ?? 0)
    }
  })
}
