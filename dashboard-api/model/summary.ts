// Day summaries (docs/history.md): a closed day folded once and stored in InfluxDB
// (`day_summary`, one point per device, bin and vehicle with data, plus a `meta` point), so a
// past day's completeness, bins and vehicles answer from a few hundred points instead of the
// day's 1.5 M. A summary is written when a day closes and rewritten after late data for that day
// arrives: the model marks the day dirty for every committed fact whose event day is before
// today; the mark is kept in memory and stored in the meta point (`dirty_ms`), and a stored
// summary older than its mark is never served — it is recomputed first (after the node's
// forwarder has put the late fact into InfluxDB, `stored`). Recomputations run one at a time.
import type { Registry } from '../../contracts/registry.ts'
import { rows, type InfluxClient } from '../../influx/client.ts'
import { InfluxTimeoutError } from '../../influx/errors.ts'
import { toLine } from '../../influx/lineProtocol.ts'
import { DAY_SUMMARY as S, q } from '../../influx/schema/names.ts'
import type { Scheduler } from '../../lib/clock.ts'
import type { Log } from '../../lib/log.ts'
import { localDate, startOfLocalDay, addDays } from '../../lib/time.ts'
import type { FoldContext } from '../fold/index.ts'
import { latestBefore, readFactChunks, REBUILD_QUERY_TIMEOUT_MS } from './rebuild.ts'
import { summariseDay, type BinDay, type DaySummary, type DeviceCounts, type VehicleDay } from './summaryFold.ts'

/** Summaries kept in memory (a month and a bit of past days); older ones are re-read from InfluxDB. */
export const SUMMARY_CACHE_DAYS = 40
/** Days with a pending recomputation at most; beyond, the oldest mark stays only in InfluxDB. */
export const MAX_DIRTY_DAYS = 400
/** One summary point's JSON at most: InfluxDB 1.x refuses string fields over 64 KiB. */
const MAX_JSON_CHARS = 60_000
const VERSION = 1

export interface DaySummariesDeps {
  readonly influx: InfluxClient
  readonly tz: string
  readonly registry: () => Registry
  readonly ctx: () => FoldContext
  readonly now: () => number
  readonly log: Log
  readonly timers: Scheduler
  /** Resolves once every fact committed so far is in InfluxDB (see ModelDeps.stored). */
  readonly stored?: (() => Promise<void>) | undefined
  /** A dirty day is recomputed this long after its last mark (late data comes in bursts). */
  readonly recomputeDelayMs?: number | undefined
  /** A closed day is summarised this long after its end (most late data has come by then). */
  readonly closeDelayMs?: number | undefined
  /**
   * A reader waits this long for a summary being computed, then gets InfluxTimeoutError (the API's
   * 503 with Retry-After) while the computation goes on; default 30 s.
   */
  readonly readWaitMs?: number | undefined
}

export interface DaySummaries {
  /** The summary of a day before today: from memory, from InfluxDB, or computed now. */
  get(day: string): Promise<DaySummary>
  /** A committed fact's event day is `day` (before today): its summary must be recomputed. */
  markDirty(day: string): void
  /** `day` has closed: make sure it has a summary, after the close delay. */
  closeDay(day: string): void
  /** Resolves once no recomputation is pending or running (tests, benchmarks, close). */
  settled(): Promise<void>
  close(): Promise<void>
}

/** A summary with the time its computation started (its `computed_ms`). */
type StoredSummary = DaySummary & { readonly computedMs: number }

const entries = <T>(m: ReadonlyMap<string, T>): [string, T][] => [...m]

export function createDaySummaries(deps: DaySummariesDeps): DaySummaries {
  const { tz, log, timers } = deps
  // Readers' queries (the meta point, a stored summary) keep the client's short timeout; a
  // computation reads a whole day and may take longer per query.
  const reader = deps.influx
  const influx: InfluxClient = {
    ...deps.influx,
    query: (text, opts = {}) => deps.influx.query(text, { timeoutMs: REBUILD_QUERY_TIMEOUT_MS, ...opts })
  }
  const delayMs = deps.recomputeDelayMs ?? 5000
  const closeDelayMs = deps.closeDelayMs ?? 15 * 60_000
  const cache = new Map<string, StoredSummary>()
  /** day → marks so far; a recomputation clears the day only if no mark came while it ran. */
  const dirty = new Map<string, number>()
  /** The latest computation queued or running per day, and the marks it was asked for. */
  const running = new Map<string, { readonly run: Promise<StoredSummary>; readonly marks: number }>()
  const timersByDay = new Map<string, unknown>()
  /** When this process last stored a mark for the day, and when it last began computing the day. */
  const markStored = new Map<string, number>()
  const computeStarted = new Map<string, number>()
  let chain: Promise<unknown> = Promise.resolve()
  /** Summaries the timers asked for, until they are there (settled() waits for them). */
  const background = new Set<Promise<unknown>>()
  const inBackground = (day: string, p: Promise<unknown>): void => {
    const tracked = p.catch((err: unknown) =>
      log.warn({ day, err: (err as Error).message }, 'day summary failed; retried on read')
    )
    background.add(tracked)
    void tracked.finally(() => background.delete(tracked))
  }
  let closed = false

  const remember = (s: StoredSummary): void => {
    cache.delete(s.day)
    cache.set(s.day, s)
    while (cache.size > SUMMARY_CACHE_DAYS) cache.delete(cache.keys().next().value!)
  }

  const ns = (day: string): bigint => BigInt(startOfLocalDay(day, tz)) * 1_000_000n
  const line = (part: string, key: string, fields: Record<string, string | number>, day: string): string =>
    toLine({
      measurement: S.measurement,
      tags: { [S.part]: part, [S.key]: key },
      fields: Object.fromEntries(
        Object.entries(fields).map(([k, v]) => [
          k,
          typeof v === 'string' ? { t: 's' as const, v } : { t: 'i' as const, v }
        ])
      ),
      timeNs: ns(day)
    })

  async function write(body: string): Promise<void> {
    const res = await deps.influx.write(body)
    if (res.status !== 204) throw new Error(`day summary write refused: HTTP ${res.status}`)
  }

  function toLines(s: StoredSummary): string[] {
    const json = (v: unknown): string => {
      const text = JSON.stringify(v)
      if (text.length <= MAX_JSON_CHARS) return text
      // Only a device's listed conflicts can grow this far; the counts stay, the list goes.
      const { conflictDetails: _c, ...counts } = v as DeviceCounts
      return JSON.stringify(counts)
    }
    const at = { [S.computedMs]: s.computedMs }
    return [
      ...entries(s.devices).map(([k, v]) => line('device', k, { [S.json]: json(v), ...at }, s.day)),
      ...entries(s.bins).map(([k, v]) => line('bin', k, { [S.json]: json(v), ...at }, s.day)),
      ...entries(s.vehicles).map(([k, v]) => line('vehicle', k, { [S.json]: json(v), ...at }, s.day)),
      // The meta point last: a summary is whole once its meta says so.
      line('meta', '-', { ...at, [S.version]: VERSION }, s.day)
    ]
  }

  const dayWhere = (day: string, part?: string): string => {
    const start = startOfLocalDay(day, tz)
    return `time >= ${start}ms AND time < ${start + 1}ms${part ? ` AND ${q(S.part)} = '${part}'` : ''}`
  }

  /**
   * When the stored summary was computed; undefined when there is none, it is of another version,
   * or a later mark made it stale.
   */
  async function storedAt(day: string): Promise<number | undefined> {
    const [r] = await reader.query(`SELECT * FROM ${q(S.measurement)} WHERE ${dayWhere(day, 'meta')}`, {
      epoch: 'ms'
    })
    const meta = rows(r)[0]
    const computed = Number(meta?.[S.computedMs] ?? NaN)
    const dirtyMs = Number(meta?.[S.dirtyMs] ?? -Infinity)
    if (!Number.isFinite(computed) || Number(meta?.[S.version]) !== VERSION || dirtyMs >= computed) return undefined
    return computed
  }

  async function readStored(day: string, computed: number): Promise<StoredSummary> {
    const [r] = await reader.query(`SELECT * FROM ${q(S.measurement)} WHERE ${dayWhere(day)} GROUP BY *`, {
      epoch: 'ms'
    })
    const all = rows(r)
    const devices = new Map<string, DeviceCounts>()
    const bins = new Map<string, BinDay>()
    const vehicles = new Map<string, VehicleDay>()
    for (const x of all) {
      // A point left from an earlier computation (a device with no data any more) is not this summary's.
      if (x[S.part] === 'meta' || Number(x[S.computedMs]) !== computed) continue
      const key = String(x[S.key])
      const value: unknown = JSON.parse(String(x[S.json]))
      if (x[S.part] === 'device') devices.set(key, value as DeviceCounts)
      else if (x[S.part] === 'bin') bins.set(key, value as BinDay)
      else if (x[S.part] === 'vehicle') vehicles.set(key, value as VehicleDay)
    }
    return { day, computedMs: computed, devices, bins, vehicles }
  }

  /** A computation stops at the next hour of points once the process closes (shutdown does not wait a minute). */
  async function* untilClosed<T>(chunks: AsyncIterable<T>): AsyncGenerator<T> {
    for await (const c of chunks) {
      if (closed) throw new Error('day summaries closed')
      yield c
    }
  }

  function recompute(day: string): Promise<StoredSummary> {
    const marks = dirty.get(day) ?? 0
    // A computation asked for before the latest mark may miss its fact: queue another after it.
    const existing = running.get(day)
    if (existing && existing.marks === marks) return existing.run
    const run = chain.then(async () => {
      // Queued behind others when the process closed: start nothing (a fuzzed API can queue
      // hundreds of days, and each would query InfluxDB before noticing).
      if (closed) throw new Error('day summaries closed')
      // The late facts that made the day dirty are committed; let InfluxDB have them first.
      await deps.stored?.()
      if (closed) throw new Error('day summaries closed')
      const startedAt = deps.now()
      computeStarted.set(day, startedAt)
      const start = startOfLocalDay(day, tz)
      const end = startOfLocalDay(addDays(day, 1), tz)
      const ctx = deps.ctx()
      const t0 = performance.now()
      const folded = await summariseDay(
        day,
        untilClosed(readFactChunks(influx, start, end)),
        deps.registry(),
        ctx,
        (state) => latestBefore(influx, state, start, ctx)
      )
      const s = { ...folded, computedMs: startedAt }
      // Stamped with the time the reading started: a mark made while it ran is later, so stale.
      await write(toLines(s).join('\n'))
      computeStarted.delete(day)
      if ((dirty.get(day) ?? 0) === marks) {
        dirty.delete(day)
        markStored.delete(day)
      }
      remember(s)
      log.info({ day, devices: s.devices.size, ms: Math.round(performance.now() - t0) }, 'day summary written')
      return s
    })
    chain = run.catch(() => undefined)
    running.set(day, { run, marks })
    const forget = (): void => {
      if (running.get(day)?.run === run) running.delete(day)
    }
    run.then(forget, forget)
    return run
  }

  const readWaitMs = deps.readWaitMs ?? 30_000
  /** A reader's wait for a computation, bounded; the computation itself goes on. */
  function waitFor(day: string, run: Promise<StoredSummary>): Promise<StoredSummary> {
    let timer: unknown
    const late = new Promise<never>((_, reject) => {
      timer = timers.setTimeout(
        () => reject(new InfluxTimeoutError(`the summary of ${day} is being computed; retry shortly`)),
        readWaitMs
      )
    })
    return Promise.race([run, late]).finally(() => timers.clearTimeout(timer))
  }

  /** A fresh summary from memory or InfluxDB; undefined when the day must be computed (again). */
  async function lookup(day: string): Promise<StoredSummary | undefined> {
    if (dirty.has(day) || running.has(day)) return undefined
    // The meta point is read every time (one point): another process may have marked the day.
    const at = await storedAt(day)
    if (at === undefined || dirty.has(day)) return undefined
    const cached = cache.get(day)
    if (cached?.computedMs === at) return cached
    const stored = await readStored(day, at)
    remember(stored)
    return stored
  }

  /** For the timers: waits as long as the computation takes. */
  async function get(day: string): Promise<StoredSummary> {
    return (await lookup(day)) ?? recompute(day)
  }

  /** For readers: a computation is waited for at most readWaitMs. */
  async function read(day: string): Promise<DaySummary> {
    return (await lookup(day)) ?? waitFor(day, recompute(day))
  }

  return {
    get: read,
    markDirty(day) {
      if (closed || day >= localDate(deps.now(), tz)) return
      dirty.set(day, (dirty.get(day) ?? 0) + 1)
      cache.delete(day)
      if (dirty.size > MAX_DIRTY_DAYS) {
        const oldest = dirty.keys().next().value!
        dirty.delete(oldest)
        markStored.delete(oldest)
      }
      // Stored too, so another process (or this one after a restart) does not serve the old
      // summary. Once per computation: a burst of late facts stores one mark, not one each; a
      // mark after a computation began is stored again (that computation may miss its fact).
      const t = deps.now()
      const last = markStored.get(day)
      if (last === undefined || (computeStarted.get(day) ?? -Infinity) >= last) {
        markStored.set(day, t)
        write(line('meta', '-', { [S.dirtyMs]: t }, day)).catch((err: unknown) => {
          markStored.delete(day)
          log.warn({ day, err: (err as Error).message }, 'day summary mark not stored; this process recomputes it')
        })
      }
      timers.clearTimeout(timersByDay.get(day))
      timersByDay.set(
        day,
        timers.setTimeout(() => {
          timersByDay.delete(day)
          if (!closed && dirty.has(day)) inBackground(day, recompute(day))
        }, delayMs)
      )
    },
    closeDay(day) {
      if (closed || timersByDay.has(day)) return
      const wait = Math.max(0, startOfLocalDay(addDays(day, 1), tz) + closeDelayMs - deps.now())
      timersByDay.set(
        day,
        timers.setTimeout(() => {
          timersByDay.delete(day)
          if (!closed) inBackground(day, get(day))
        }, wait)
      )
    },
    async settled() {
      while (running.size > 0 || timersByDay.size > 0 || background.size > 0) {
        // Pending timers (a closed day, a dirty one): run them now rather than wait.
        for (const [day, h] of timersByDay) {
          timers.clearTimeout(h)
          timersByDay.delete(day)
          inBackground(day, get(day))
        }
        await Promise.allSettled([...background, ...[...running.values()].map((r) => r.run)])
      }
    },
    async close() {
      closed = true
      for (const h of timersByDay.values()) timers.clearTimeout(h)
      timersByDay.clear()
      await Promise.allSettled([...background, ...[...running.values()].map((r) => r.run)])
    }
  }
}
