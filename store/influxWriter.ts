// The group-commit writer: a Sink (store/sink.ts) in front of InfluxDB's /write.
//
// Group commit: while a write is in flight, lines from every caller accumulate and go out together
// as soon as it returns, so waiting for each write to be stored costs latency, not throughput.
// Transport trouble is retried forever with exponential backoff and full jitter — data is never
// dropped. The forwarder feeds it from the spool a batch at a time and waits for each, so the
// spool, not this writer, is what bounds memory. A line
// InfluxDB refuses (400) is isolated by bisection and rejected alone (docs/conventions.md, rule 8); the good
// lines around it may be written twice, which is harmless: a point's identity (measurement + tags +
// time) makes a rewrite overwrite itself (docs/architecture.md, decision 4).
//
// An outage is probed by one batch at a time (half-open, as a circuit breaker does): the first batch
// to fail backs off and retries (when nothing answers at all, it asks GET /ping, at most every
// probeMs, and resends only once InfluxDB answers); every other batch, and every batch formed
// meanwhile, waits for that probe instead of sleeping out a backoff of its own. The first answer from InfluxDB — from the probe
// or from a write already in flight — ends the outage, wakes the probe if it is still backing off,
// and sends everyone at once. Without this, two batches sleeping up to maxMs each held every ack for
// seconds after InfluxDB was back, and a frozen InfluxDB got a copy of each batch per timeout.
//
// No timers of its own: every wait goes through the injected `sleep` (docs/conventions.md, rule 4/#5).
import { setTimeout as sleepTimer } from 'node:timers/promises'
import type { Log } from '../lib/log.ts'
import type { LineRejection, Sink, SinkResult } from './sink.ts'
import { createLatency, type LatencyHistogram } from './stats.ts'

export interface WriteResponse {
  readonly status: number
  readonly body: string
  readonly retryAfterMs?: number
}

/** What the writer needs of influx/client.ts: throws only when no HTTP answer arrived. */
export interface WriteClient {
  write(body: string): Promise<WriteResponse>
  /** GET /ping: true when InfluxDB answers. When given, an outage without answers is probed with it. */
  ping?(): Promise<boolean>
}

export interface WriterOptions {
  readonly client: WriteClient
  readonly log: Log
  readonly maxBatchLines?: number
  readonly maxInFlight?: number
  /** probeMs caps the interval between pings while InfluxDB does not answer at all (default 1 s):
   *  a ping is a few bytes, so it may come far more often than a resent batch. */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number; readonly probeMs?: number }
  /** close() waits this long for accepted lines to be written before giving up on them. */
  readonly closeTimeoutMs?: number
  /** Waits `ms`; may end early when `signal` aborts (close). Defaults to a real timer. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** [0, 1) for backoff jitter. Defaults to Math.random. */
  readonly random?: () => number
  /** A monotonic clock in ms, to time the writes. Defaults to performance.now. */
  readonly clock?: () => number
}

export type FailureReason = 'network' | 'server' | 'throttled' | 'config' | 'unexpected'

export interface WriterStats {
  /** Batches formed from the queue (each is one or more HTTP writes). */
  readonly batches: number
  /** HTTP writes attempted, including retries and bisection. */
  readonly requests: number
  /** Lines InfluxDB accepted. */
  readonly lines: number
  /** Failed writes that were (or are being) retried after a backoff. */
  readonly retries: number
  /** Pings sent while InfluxDB did not answer. */
  readonly probes: number
  readonly rejectedLines: number
  /** Failed writes by reason (each is retried). */
  readonly failures: Readonly<Record<FailureReason, number>>
  readonly inFlight: number
  readonly pendingLines: number
  readonly lastError?: {
    readonly reason: FailureReason
    readonly status?: number
    readonly code?: string
    readonly message: string
  }
}

export interface Writer extends Sink {
  stats(): WriterStats
  /** How long each HTTP write took, answered or not (for Prometheus). */
  writeLatency(): LatencyHistogram
  close(opts?: { timeoutMs?: number }): Promise<void>
}

/** A write() the writer will not complete: it was closed before or while the lines waited. The
 *  lines may or may not be in InfluxDB; the caller keeps them (the spool) and retries elsewhere. */
export class WriterClosedError extends Error {
  readonly code = 'INGEST_E_WRITER_CLOSED'
  override readonly name = 'WriterClosedError'
}

interface Req {
  remaining: number
  readonly rejected: LineRejection[]
  readonly resolve: (r: SinkResult) => void
  readonly reject: (e: Error) => void
}

/** The batch that probes InfluxDB during an outage, and how the others learn it is over. */
interface Outage {
  readonly prober: object
  readonly over: Promise<void>
  readonly wake: AbortController
  readonly end: () => void
}

interface Item {
  readonly line: string
  readonly req: Req
  readonly index: number
}

const EXCERPT = 300
const excerpt = (s: string): string => (s.length > EXCERPT ? `${s.slice(0, EXCERPT)}…` : s)

/** InfluxDB's reason: 1.x/3.x send {"error": ...}, 2.x {"code": ..., "message": ...}. */
function errorText(status: number, body: string): string {
  try {
    const j = JSON.parse(body) as { error?: unknown; message?: unknown }
    if (typeof j.error === 'string') return j.error
    if (typeof j.message === 'string') return j.message
  } catch {
    /* not JSON */
  }
  return body.trim() === '' ? `HTTP ${status}` : excerpt(body.trim())
}

function classify(status: number): FailureReason {
  if (status === 429) return 'throttled'
  if (status >= 500) return 'server'
  // Wrong URL, database or credentials: nothing the data can fix, but an operator can — keep the
  // data and keep trying, loudly.
  if (status === 401 || status === 403 || status === 404) return 'config'
  return 'unexpected'
}

const defaultSleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
  try {
    await sleepTimer(ms, undefined, signal === undefined ? undefined : { signal })
  } catch {
    /* aborted */
  }
}

export function createWriter(opts: WriterOptions): Writer {
  const {
    client,
    log,
    maxBatchLines = 5000,
    maxInFlight = 2,
    closeTimeoutMs = 10_000,
    sleep = defaultSleep,
    random = Math.random
  } = opts
  const initialMs = opts.retry?.initialMs ?? 100
  const maxMs = opts.retry?.maxMs ?? 10_000
  const probeMs = opts.retry?.probeMs ?? 1000
  if (!(maxBatchLines >= 1) || !(maxInFlight >= 1)) throw new RangeError('maxBatchLines and maxInFlight must be ≥ 1')

  let pending: Item[] = []
  let inFlight = 0
  const live = new Set<Req>()
  let idleWaiters: (() => void)[] = []
  let closing: Promise<void> | undefined
  const abort = new AbortController()
  const aborted = new Promise<void>((resolve) =>
    abort.signal.addEventListener('abort', () => resolve(), { once: true })
  )
  const counters = { batches: 0, requests: 0, lines: 0, retries: 0, probes: 0, rejectedLines: 0 }
  const failures: Record<FailureReason, number> = { network: 0, server: 0, throttled: 0, config: 0, unexpected: 0 }
  const latency = createLatency()
  const clock = opts.clock ?? (() => performance.now())
  let lastError: WriterStats['lastError']
  let outage: Outage | undefined

  function startOutage(prober: object): Outage {
    let end!: () => void
    const over = new Promise<void>((resolve) => {
      end = resolve
    })
    const wake = new AbortController()
    return {
      prober,
      over,
      wake,
      end: () => {
        wake.abort()
        end()
      }
    }
  }

  /** InfluxDB answered (stored, or refused a line for what it is): whoever waits goes now. */
  function answered(): void {
    outage?.end()
    outage = undefined
  }

  function done(item: Item, rejection?: string): void {
    const { req } = item
    if (!live.has(req)) return
    if (rejection === undefined) {
      counters.lines++
    } else {
      counters.rejectedLines++
      req.rejected.push({ index: item.index, error: rejection })
    }
    if (--req.remaining === 0) {
      live.delete(req)
      req.resolve({ rejected: req.rejected.sort((a, b) => a.index - b.index) })
    }
  }

  function backoffMs(attempt: number, retryAfterMs: number | undefined): number {
    // Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): spreads the retries of
    // many nodes hitting one recovering InfluxDB. Never sooner than the server asked.
    const jittered = Math.floor(random() * Math.min(maxMs, initialMs * 2 ** attempt))
    return retryAfterMs === undefined ? jittered : Math.max(retryAfterMs, jittered)
  }

  async function retryLater(
    me: object,
    attempt: number,
    lines: number,
    failure: { reason: FailureReason; message: string; status?: number; code?: string; retryAfterMs?: number }
  ): Promise<void> {
    outage ??= startOutage(me)
    const current = outage
    const probing = current.prober === me
    const delayMs = probing ? backoffMs(attempt, failure.retryAfterMs) : undefined
    counters.retries++
    failures[failure.reason]++
    const { retryAfterMs, ...err } = failure
    lastError = err
    const fields = probing
      ? { ...err, retryAfterMs, attempt: attempt + 1, delayMs, lines }
      : { ...err, retryAfterMs, attempt: attempt + 1, lines, waitingForProbe: true }
    if (failure.reason === 'config' || failure.reason === 'unexpected')
      log.error(fields, 'influx write failed; retrying')
    else log.warn(fields, 'influx write failed; retrying')
    if (delayMs === undefined) {
      await Promise.race([current.over, aborted])
      return
    }
    // Refused or reset: nothing is listening, and /ping says when something is again. A timeout is
    // not probed this way: a busy InfluxDB answers /ping at once while it still chews on the write,
    // so the batch waits out its backoff rather than coming back sooner.
    if (failure.reason === 'network' && failure.code !== 'INFLUX_E_TIMEOUT' && client.ping !== undefined) {
      return await pingUntilAnswered(current, attempt)
    }
    // The probe's backoff ends early when another write gets an answer meanwhile (or on close) —
    // unless the server said when to come back (Retry-After): never sooner than it asked.
    if (failure.retryAfterMs !== undefined) await Promise.race([sleep(delayMs, abort.signal), aborted])
    else await Promise.race([sleep(delayMs, current.wake.signal), aborted, current.over])
  }

  /** No HTTP answer at all (refused, reset): ask /ping until InfluxDB answers, rather
   *  than resending the batch; full jitter capped at probeMs. */
  async function pingUntilAnswered(current: Outage, attempt: number): Promise<void> {
    const ping = client.ping!.bind(client)
    for (let n = attempt; !abort.signal.aborted && outage === current; n++) {
      const ms = Math.floor(random() * Math.min(probeMs, initialMs * 2 ** n))
      await Promise.race([sleep(ms, current.wake.signal), aborted, current.over])
      if (abort.signal.aborted || outage !== current) return
      counters.probes++
      const up = await Promise.race([ping(), current.over.then(() => true), aborted.then(() => false)])
      if (up) return
      log.debug({ probe: n + 1 }, 'influx ping unanswered')
    }
  }

  /** Writes `items` until each is stored or rejected; returns early only when closed. */
  async function deliver(items: Item[]): Promise<void> {
    const body = items.map((i) => i.line).join('\n')
    const me = {}
    // During an outage only the probe talks to InfluxDB; otherwise the write goes out synchronously.
    if (outage !== undefined) await Promise.race([outage.over, aborted])
    for (let attempt = 0; !abort.signal.aborted; attempt++) {
      counters.requests++
      let res: WriteResponse
      const t0 = clock()
      try {
        res = await client.write(body)
      } catch (err) {
        latency.add(clock() - t0)
        const e = err as { message?: unknown; code?: unknown }
        const failure = { reason: 'network' as const, message: String(e?.message ?? err) }
        await retryLater(
          me,
          attempt,
          items.length,
          typeof e?.code === 'string' ? { ...failure, code: e.code } : failure
        )
        continue
      }
      latency.add(clock() - t0)
      if (res.status >= 200 && res.status < 300) {
        answered()
        for (const item of items) done(item)
        return
      }
      // 400 (and 2.x's 422): something in the batch is bad. 413: the batch is too large. Either
      // way halve it; a single line that is still refused is refused for what it is.
      if (res.status === 400 || res.status === 422 || res.status === 413) {
        answered()
        const [first] = items
        if (items.length === 1 && first !== undefined) {
          const error = errorText(res.status, res.body)
          log.warn(
            { status: res.status, error, index: first.index, line: excerpt(first.line) },
            'influx rejected a line'
          )
          done(first, error)
          return
        }
        const mid = Math.ceil(items.length / 2)
        log.debug({ status: res.status, lines: items.length }, 'influx refused a batch; bisecting')
        await deliver(items.slice(0, mid))
        await deliver(items.slice(mid))
        return
      }
      const reason = classify(res.status)
      const failure = { reason, status: res.status, message: errorText(res.status, res.body) }
      await retryLater(
        me,
        attempt,
        items.length,
        res.retryAfterMs === undefined ? failure : { ...failure, retryAfterMs: res.retryAfterMs }
      )
    }
  }

  function send(): void {
    const items = pending.splice(0, maxBatchLines)
    counters.batches++
    inFlight++
    void deliver(items).finally(() => {
      inFlight--
      pump(true)
    })
  }

  /** `returned`: a write just came back, so whatever accumulated meanwhile goes now. */
  function pump(returned = false): void {
    if (abort.signal.aborted) return
    if (pending.length > 0 && inFlight < maxInFlight && (inFlight === 0 || returned)) send()
    while (pending.length >= maxBatchLines && inFlight < maxInFlight) send()
    if (pending.length === 0 && inFlight === 0) {
      const waiters = idleWaiters
      idleWaiters = []
      for (const w of waiters) w()
    }
  }

  function write(lines: readonly string[]): Promise<SinkResult> {
    if (closing !== undefined) return Promise.reject(new WriterClosedError('writer is closed'))
    if (lines.length === 0) return Promise.resolve({ rejected: [] })
    return new Promise<SinkResult>((resolve, reject) => {
      const req: Req = { remaining: lines.length, rejected: [], resolve, reject }
      live.add(req)
      lines.forEach((line, index) => {
        const item = { line, req, index }
        // One point per line is what batching and bisection count on; a line with a line break
        // would be several points (or a broken one) — refuse it here rather than in InfluxDB.
        if (/[\r\n]/.test(line)) done(item, 'line contains a line break')
        else pending.push(item)
      })
      pump()
    })
  }

  function close(copts: { timeoutMs?: number } = {}): Promise<void> {
    closing ??= (async () => {
      if (pending.length > 0 || inFlight > 0) {
        const drained = new Promise<void>((resolve) => idleWaiters.push(resolve))
        const timer = new AbortController()
        const outcome = await Promise.race([
          drained.then(() => 'drained' as const),
          sleep(copts.timeoutMs ?? closeTimeoutMs, timer.signal).then(() => 'timeout' as const)
        ])
        timer.abort()
        if (outcome === 'timeout') {
          log.warn(
            { pendingLines: pending.length, inFlight, unfinishedWrites: live.size },
            'writer closed with unwritten lines'
          )
        }
      }
      abort.abort()
      answered() // ends the probe's backoff timer; everyone sees `aborted` and stops
      pending = []
      const err = new WriterClosedError('writer closed before the lines were written')
      for (const req of live) req.reject(err)
      live.clear()
    })()
    return closing
  }

  function stats(): WriterStats {
    const s = { ...counters, failures: { ...failures }, inFlight, pendingLines: pending.length }
    return lastError === undefined ? s : { ...s, lastError }
  }

  return { write, close, stats, writeLatency: latency.histogram }
}
