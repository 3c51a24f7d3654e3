// Store lag for bench:ack: how long after its PUBACK a message becomes visible in InfluxDB.
// Sampled messages are looked up by their point identity (device tag + event time + seq, see
// influx/schema/README.md), many lookups per /query request; the lag is taken when the response that
// first shows the point arrives, so it is an upper bound with the poll interval as resolution.
import { setTimeout as sleep } from 'node:timers/promises'
import { FIELD, MEASUREMENT, q as ident, TAG } from '../../influx/schema/names.ts'

export interface LagSample {
  readonly device: string
  readonly ts: number
  readonly seq: number
  readonly ackAt: number
}

export interface LagPoller {
  add(sample: LagSample): void
  /** Stop taking samples; wait (at most maxWaitMs) until every sample is seen. */
  finish(maxWaitMs: number): Promise<{ lags: number[]; notSeen: number; dropped: number; queryErrors: number }>
}

const PER_REQUEST = 50
const MAX_PENDING = 5000
const QUERY_TIMEOUT_MS = 5000

export function createLagPoller(o: {
  url: string
  db: string
  authorization?: string
  pollMs: number
  now: () => number
}): LagPoller {
  let pending: LagSample[] = []
  const lags: number[] = []
  let dropped = 0
  let queryErrors = 0
  let accepting = true
  let stopAt = Infinity

  const lookup = async (batch: LagSample[]): Promise<boolean[]> => {
    // The point's time is event ms × 10⁶ + seq mod 10⁶ ns (influx/schema/README.md): its millisecond
    // and its seq find exactly this message.
    const q = batch
      .map(
        (s) =>
          `SELECT ${ident(FIELD.seq)} FROM ${ident(MEASUREMENT.fill)} WHERE ${ident(TAG.device)}='${s.device}' ` +
          `AND time >= ${s.ts}ms AND time < ${s.ts + 1}ms AND ${ident(FIELD.seq)} = ${s.seq}`
      )
      .join(';')
    const res = await fetch(`${o.url}/query`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(o.authorization ? { authorization: o.authorization } : {})
      },
      body: new URLSearchParams({ db: o.db, epoch: 'ms', q }).toString(),
      signal: AbortSignal.timeout(QUERY_TIMEOUT_MS)
    })
    if (!res.ok) throw new Error(`InfluxDB /query answered ${res.status}`)
    type Body = { results?: Array<{ statement_id?: number; series?: unknown[]; error?: string }> }
    const body = (await res.json()) as Body
    const seen = batch.map(() => false)
    for (const r of body.results ?? []) {
      if (r.error) throw new Error(`InfluxDB /query: ${r.error}`)
      if (r.statement_id !== undefined && (r.series?.length ?? 0) > 0) seen[r.statement_id] = true
    }
    return seen
  }

  const loop = (async (): Promise<void> => {
    while (o.now() < stopAt && (accepting || pending.length > 0)) {
      // Oldest first; each cycle looks every pending sample up once.
      const cycle = pending
      pending = []
      const unseen: LagSample[] = []
      for (let i = 0; i < cycle.length; i += PER_REQUEST) {
        const batch = cycle.slice(i, i + PER_REQUEST)
        try {
          const seen = await lookup(batch)
          const at = o.now()
          batch.forEach((s, k) => (seen[k] ? lags.push(at - s.ackAt) : unseen.push(s)))
        } catch {
          queryErrors++
          unseen.push(...batch)
        }
      }
      pending = unseen.concat(pending)
      await sleep(o.pollMs)
    }
  })()

  return {
    add(sample) {
      if (!accepting) return
      if (pending.length >= MAX_PENDING) dropped++
      else pending.push(sample)
    },
    async finish(maxWaitMs) {
      accepting = false
      stopAt = o.now() + maxWaitMs
      await loop
      return { lags, notSeen: pending.length, dropped, queryErrors }
    }
  }
}
