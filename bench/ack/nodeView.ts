// The node's own view of one round, from two scrapes of its /metrics (before and after the
// round, warm-up included): how long a PUBLISH waited to be durable, the spool's write + fsync,
// and how late the node's event loop ran. The latency histograms are cumulative, so the round's
// share is the difference of the two scrapes; prom-client's event-loop lag is measured between
// scrapes (its histogram is reset at each one), so the second scrape is the round's.
import { parsePrometheus, type Scrape } from '../../test/harness/prometheus.ts'

export interface Quantiles {
  readonly count: number
  /** Upper bounds of the log2 buckets the quantile falls in, in ms (null: none counted). */
  readonly p50Ms: number | null
  readonly p99Ms: number | null
  readonly maxBucketMs: number | null
}

export interface NodeRoundView {
  readonly pubackToDurable: Quantiles
  readonly spoolFsync: Quantiles
  readonly eventLoopLagMs: { readonly p50: number; readonly p99: number; readonly max: number } | null
}

export async function scrapeNode(httpUrl: string): Promise<Scrape | null> {
  try {
    const res = await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(5000) })
    return res.ok ? parsePrometheus(await res.text()) : null
  } catch {
    return null
  }
}

function buckets(s: Scrape, name: string): Map<number, number> {
  const m = new Map<number, number>()
  for (const x of s.all(`${name}_bucket`)) m.set(x.labels.le === '+Inf' ? Infinity : Number(x.labels.le), x.value)
  return m
}

/** Quantiles of what a cumulative histogram counted between two scrapes. */
export function histogramDelta(before: Scrape, after: Scrape, name: string): Quantiles {
  const b0 = buckets(before, name)
  const b1 = buckets(after, name)
  const les = [...b1.keys()].sort((x, y) => x - y)
  const cum = les.map((le) => (b1.get(le) ?? 0) - (b0.get(le) ?? 0))
  const count = cum.at(-1) ?? 0
  const at = (q: number): number | null => {
    if (count <= 0) return null
    const i = cum.findIndex((c) => c >= q * count)
    return i < 0 ? null : les[i]! * 1000
  }
  let top: number | null = null
  for (let i = 0; i < les.length; i++) if (cum[i]! > (i > 0 ? cum[i - 1]! : 0)) top = les[i]! * 1000
  return { count, p50Ms: at(0.5), p99Ms: at(0.99), maxBucketMs: top }
}

export function nodeRoundView(before: Scrape, after: Scrape): NodeRoundView {
  const lag = (q: string): number | undefined => after.value(`nodejs_eventloop_lag_${q}_seconds`)
  const [p50, p99, max] = [lag('p50'), lag('p99'), lag('max')]
  return {
    pubackToDurable: histogramDelta(before, after, 'qingyun_puback_latency_seconds'),
    spoolFsync: histogramDelta(before, after, 'qingyun_spool_fsync_seconds'),
    eventLoopLagMs:
      p50 === undefined || p99 === undefined || max === undefined
        ? null
        : { p50: p50 * 1000, p99: p99 * 1000, max: max * 1000 }
  }
}

export function describeNodeView(v: NodeRoundView): string {
  const q = (x: Quantiles): string =>
    x.count === 0 ? 'none' : `p50 ≤ ${x.p50Ms} ms, p99 ≤ ${x.p99Ms} ms, max ≤ ${x.maxBucketMs} ms (${x.count})`
  const l = v.eventLoopLagMs
  return (
    `publish → durable ${q(v.pubackToDurable)}; spool write + fsync ${q(v.spoolFsync)}; ` +
    `event-loop lag ${l ? `p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms` : '?'}`
  )
}
