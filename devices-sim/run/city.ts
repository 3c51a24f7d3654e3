// The shell around the city model: a wall clock mapped to simulated time (`speed`), one MQTT
// client per device, faults applied on the way out, and the ground truth recorded from PUBACKs.
import type { Logger } from 'pino'
import { MAX_BATCH, type Kind } from '../../contracts/device/index.ts'
import type { Registry } from '../../contracts/registry.ts'
import { deviceTopic } from '../../contracts/topics.ts'
import { addDays, localDate } from '../../lib/time.ts'
import { createCityDay, type SimEvent } from '../city/day.ts'
import type { CityOptions } from '../city/types.ts'
import { localIso } from '../generators/index.ts'
import { deviceFaults, faultRng, malformedPayload, type DeviceFaults, type FaultOptions } from './faults.ts'
import { createFleet } from './fleet.ts'
import { createTruth, type Outcome, type Truth } from './truth.ts'

export interface CityRunOptions {
  readonly mqttUrl: string
  readonly credentials: Readonly<Record<string, string>>
  readonly registry: Registry
  readonly date: string
  readonly tz: string
  readonly seed: number
  /** Simulated seconds per wall second. */
  readonly speed: number
  readonly faults: FaultOptions
  readonly city?: Partial<Omit<CityOptions, 'date' | 'tz' | 'seed'>>
  /** Simulated span of each day to run, local hours [from, to). Default the whole day. */
  readonly hours?: readonly [number, number]
  /** Days to run, from `date` on (the demo runs on and on). */
  readonly days?: number
  readonly log: Logger
  readonly tickMs?: number
  readonly onProgress?: (p: CityProgress) => void
  /** Catch the first day up with the wall clock as fast as the broker acknowledges (see Backfill). */
  readonly backfill?: Backfill
}

/**
 * The demo's catch-up (devices-sim/demo.ts): the first day from its start to the wall clock in
 * steps of `stepMs` of simulated time, each device sending a step's data in one array (as a
 * device does with buffered data), the next step only once every publish of the previous one
 * is acknowledged. `advance(t)` is called before the data up to t is sent: the node's clock
 * follows, so each message arrives at most `stepMs` after its event time — not late — and no
 * device looks silent. `release()` hands the clock back to the wall once caught up.
 */
export interface Backfill {
  readonly stepMs: number
  advance(simNow: number): void
  release(): void
  /**
   * Hands a step's payload straight to the node's ingest, in the node's own process, resolving
   * once it is durable (what a PUBACK says). Absent: over MQTT like the live run. The demo's
   * catch-up sends a day's data as fast as it can, and over MQTT most of that time went into
   * the protocol around ~2,800 tiny arrays per step (framing, the broker's per-packet work,
   * the round trips), not into the data.
   */
  readonly ingest?: (deviceId: string, kind: Kind, payload: string) => Promise<void>
  /**
   * Trackers' positions in the hours the catch-up replays (before the wall clock at the start)
   * at this interval instead of the city's: most of a day's messages are fixes, and a replayed
   * track does not need one every few seconds. Absent: the city's interval.
   */
  readonly positionEveryMs?: number
  /** The same for the bins' fill readings (most of the rest of a day's messages). */
  readonly fillEveryMs?: number
}

export interface CityProgress {
  simNow: number
  simEnd: number
  sent: number
  acked: number
  failed: number
  connected: number
  inFlight: number
}

export interface CityRun {
  /** Resolves with the ground truth once the span is simulated and every publish is settled. */
  readonly done: Promise<Truth>
  /**
   * Stop early; settles in-flight publishes, resolves with the truth so far. With `graceMs`,
   * publishes still unacknowledged after that long are failed (the broker holds acks while
   * InfluxDB is away, and a demo must still stop).
   */
  stop(graceMs?: number): Promise<Truth>
}

const HOUR = 3_600_000

export function startCity(o: CityRunOptions): CityRun {
  const log = o.log.child({ component: 'sim-city' })
  const dayOf = (date: string, coarse: Pick<CityOptions, 'coarseGps' | 'coarseFill'> = {}) =>
    createCityDay(o.registry, { ...o.city, date, tz: o.tz, seed: o.seed, ...coarse })
  let date = o.date
  const before = (everyMs: number | undefined) =>
    everyMs ? { untilMs: Date.now(), intervalS: everyMs / 1000 } : undefined
  const coarseGps = before(o.backfill?.positionEveryMs)
  const coarseFill = before(o.backfill?.fillEveryMs)
  let day = dayOf(date, { ...(coarseGps ? { coarseGps } : {}), ...(coarseFill ? { coarseFill } : {}) })
  const [h0, h1] = o.hours ?? [0, 24]
  const simStart = day.dayStart + h0 * HOUR
  let simEnd = day.dayStart + h1 * HOUR
  day.until(simStart - 1)

  const types = new Map(o.registry.devices.map((d) => [d.id, d.type]))
  const siteOf = new Map(o.registry.devices.filter((d) => d.siteId).map((d) => [d.id, d.siteId!]))
  const truth = createTruth({ mode: 'city', tz: o.tz, seed: o.seed, date: o.date, speed: o.speed }, types)
  const simulated = day.devices.filter((d) => o.credentials[d.id] !== undefined)
  const missing = day.devices.length - simulated.length
  if (missing > 0) log.warn({ missing }, 'devices without a token in the credentials are not simulated')
  const credentials = Object.fromEntries(simulated.map((d) => [d.id, o.credentials[d.id]!]))
  const fleet = createFleet({ url: o.mqttUrl, credentials })
  const standing: Map<string, DeviceFaults> = deviceFaults(simulated, o.faults, o.seed, simStart, simEnd)
  const rng = faultRng(o.seed)
  const pending = new Set<Promise<unknown>>()
  const held = new Map<string, { kind: Kind; payload: string; outcome: Outcome }>()
  const buffers = new Map<string, SimEvent[]>()
  const seqOffset = new Map<string, number>()
  const lastSeq = new Map<string, number>()
  let sent = 0
  let acked = 0
  let malformedN = 0
  let stopped = false

  const track = (p: Promise<unknown>): void => {
    pending.add(p)
    void p.finally(() => pending.delete(p))
  }

  function publish(
    id: string,
    kind: Kind,
    payload: string,
    outcome: Outcome,
    onAck?: () => void,
    direct?: Backfill['ingest']
  ): void {
    truth.sent(id)
    sent++
    const retried = (): void => {
      truth.device(id).possibleRetransmits++
      truth.fault('retransmits')
    }
    track(
      (direct ? direct(id, kind, payload) : fleet.publish(id, deviceTopic(id, kind), payload, retried)).then(
        () => {
          acked++
          truth.acked(id, outcome)
          onAck?.()
        },
        (err: unknown) => {
          truth.failed(id)
          log.warn({ deviceId: id, err: (err as Error).message }, 'publish failed')
        }
      )
    )
  }

  function accepted(e: SimEvent, late = false): Outcome {
    const dayStr = localDate(e.t, o.tz)
    const w = e.kind === 'weighing' ? (e.message as { direction: 'in' | 'out'; netKg: number }) : undefined
    const site = siteOf.get(e.deviceId)
    return {
      kind: 'accepted',
      msgKind: e.kind,
      days: [dayStr],
      seqs: [e.message.seq!],
      late,
      ...(w && site ? { tickets: [{ siteId: site, day: dayStr, direction: w.direction, netKg: w.netKg }] } : {})
    }
  }

  function renumber(e: SimEvent): SimEvent {
    const off = seqOffset.get(e.deviceId) ?? 0
    const seq = e.message.seq! + off
    lastSeq.set(e.deviceId, seq)
    return off === 0 ? e : { ...e, message: { ...e.message, seq } }
  }

  function send(e: SimEvent): void {
    const id = e.deviceId
    const f = standing.get(id)
    let payload: string
    let outcome: Outcome
    if (f?.aheadMs) {
      payload = JSON.stringify({ ...e.message, ts: localIso(Date.now() + f.aheadMs, o.tz) })
      outcome = { kind: 'rejected', code: 'INGEST_E_TS_RANGE', day: localDate(Date.now(), o.tz), count: 1 }
      truth.fault('skewed')
    } else {
      payload = JSON.stringify(e.message)
      outcome = accepted(e)
    }
    if (!held.has(id) && o.faults.outOfOrder > 0 && rng() < o.faults.outOfOrder) {
      held.set(id, { kind: e.kind, payload, outcome })
      truth.fault('outOfOrder')
      return
    }
    const dup = outcome.kind === 'accepted' && o.faults.duplicates > 0 && rng() < o.faults.duplicates
    publish(
      id,
      e.kind,
      payload,
      outcome,
      dup
        ? () => {
            truth.device(id).duplicatesSent++
            truth.fault('duplicates')
            publish(id, e.kind, payload, { ...outcome, duplicate: true } as Outcome)
          }
        : undefined
    )
    const h = held.get(id)
    if (h) {
      held.delete(id)
      publish(id, h.kind, h.payload, h.outcome)
    }
    if (o.faults.malformed > 0 && rng() < o.faults.malformed) {
      const json = malformedN % 2 === 0
      const bad = malformedPayload(e.kind, e.message.ts as string, malformedN++, json)
      const dayStr = json ? localDate(Date.now(), o.tz) : localDate(e.t, o.tz)
      truth.fault(`malformed:${bad.code}`)
      publish(id, e.kind, bad.payload, { kind: 'rejected', code: bad.code, day: dayStr, count: 1 })
    }
  }

  function flush(id: string): void {
    const buf = buffers.get(id)
    if (!buf || buf.length === 0) return
    buffers.delete(id)
    const byKind = new Map<Kind, SimEvent[]>()
    for (const e of buf) byKind.set(e.kind, [...(byKind.get(e.kind) ?? []), e])
    for (const [kind, list] of byKind) {
      for (let i = 0; i < list.length; i += MAX_BATCH) {
        const chunk = list.slice(i, i + MAX_BATCH)
        const outs = chunk.map((e) => accepted(e, true)) as Extract<Outcome, { kind: 'accepted' }>[]
        truth.fault('lateBatches')
        publish(id, kind, JSON.stringify(chunk.map((e) => e.message)), {
          kind: 'accepted',
          msgKind: kind,
          late: true,
          days: outs.flatMap((x) => x.days),
          seqs: outs.flatMap((x) => x.seqs),
          tickets: outs.flatMap((x) => x.tickets ?? [])
        })
      }
    }
  }

  function dispatch(events: readonly SimEvent[], simNow: number): void {
    for (const raw of events) {
      if (credentials[raw.deviceId] === undefined) continue
      const e = renumber(raw)
      const out = standing.get(e.deviceId)?.outage
      if (out && e.t >= out.start && e.t < out.end) {
        buffers.set(e.deviceId, [...(buffers.get(e.deviceId) ?? []), e])
        continue
      }
      if (out && buffers.has(e.deviceId)) flush(e.deviceId)
      send(e)
    }
    for (const [id] of buffers) {
      const out = standing.get(id)?.outage
      if (out && simNow >= out.end) flush(id)
    }
  }

  function flushHeld(): void {
    for (const [id, h] of held) publish(id, h.kind, h.payload, h.outcome)
    held.clear()
    for (const id of [...buffers.keys()]) flush(id)
  }

  interface Batch {
    readonly id: string
    readonly kind: Kind
    readonly payload: string
    readonly outcome: Outcome
  }

  /** One step of the catch-up: each device's events as arrays (≤ MAX_BATCH) per kind. */
  function batchesOf(events: readonly SimEvent[]): Batch[] {
    const byDevice = new Map<string, SimEvent[]>()
    for (const raw of events) {
      if (credentials[raw.deviceId] === undefined) continue
      const e = renumber(raw)
      const list = byDevice.get(e.deviceId)
      if (list) list.push(e)
      else byDevice.set(e.deviceId, [e])
    }
    const out: Batch[] = []
    for (const [id, list] of byDevice) {
      for (const kind of new Set(list.map((e) => e.kind))) {
        const ofKind = list.filter((e) => e.kind === kind)
        for (let i = 0; i < ofKind.length; i += MAX_BATCH) {
          const chunk = ofKind.slice(i, i + MAX_BATCH)
          const outs = chunk.map((e) => accepted(e)) as Extract<Outcome, { kind: 'accepted' }>[]
          out.push({
            id,
            kind,
            payload: JSON.stringify(chunk.map((e) => e.message)),
            outcome: {
              kind: 'accepted',
              msgKind: kind,
              late: false,
              days: outs.flatMap((x) => x.days),
              seqs: outs.flatMap((x) => x.seqs),
              tickets: outs.flatMap((x) => x.tickets ?? [])
            }
          })
        }
      }
    }
    return out
  }

  /**
   * The catch-up of the first day; returns the simulated instant it reached. The next step's
   * arrays are made while this step's are being made durable (the spool's write and fsync run
   * off the main thread), but sent — and the clock advanced — only once this step is acked.
   */
  async function catchUp(b: Backfill, from: number): Promise<number> {
    let simNow = from
    const t0 = Date.now()
    const prepare = (after: number): { until: number; batches: Batch[] } | undefined => {
      if (after >= Math.min(Date.now(), simEnd)) return undefined
      const until = Math.min(after + b.stepMs, Date.now(), simEnd)
      return { until, batches: batchesOf(day.until(until)) }
    }
    let step = prepare(simNow)
    while (!stopped && step) {
      simNow = step.until
      b.advance(simNow)
      for (const x of step.batches) publish(x.id, x.kind, x.payload, x.outcome, undefined, b.ingest)
      // One turn of the event loop first: ingest hands this step to the spool's writer.
      await new Promise((r) => setImmediate(r))
      step = prepare(simNow)
      while (pending.size > 0 && !stopped) await Promise.race([Promise.allSettled([...pending]), stopSignal])
    }
    const figures = { until: new Date(simNow).toISOString(), sent, wallMs: Date.now() - t0 }
    if (stopped) log.info(figures, 'catch-up stopped')
    else log.info(figures, 'caught up with the clock')
    b.release()
    return simNow
  }

  let resolveStop: () => void = () => {}
  const stopSignal = new Promise<void>((r) => {
    resolveStop = r
  })
  const sleep = (ms: number) => Promise.race([new Promise((r) => setTimeout(r, ms)), stopSignal])

  const connect = async (): Promise<void> => {
    const up = await fleet.connect()
    if (up.failed.length > 0)
      log.warn({ failed: up.failed.length, first: up.failed[0] }, 'some devices could not connect')
    log.info({ devices: up.connected, date, speed: o.speed }, 'city day running')
  }

  const done = (async (): Promise<Truth> => {
    // A catch-up straight into ingest needs no connection: the devices connect once it is done,
    // so the day so far shows without waiting for some thousands of MQTT handshakes first.
    const direct = o.backfill?.ingest !== undefined
    if (!direct) await connect()
    const daysToRun = o.days ?? 1
    let base = o.backfill ? await catchUp(o.backfill, simStart) : simStart
    if (direct && !stopped) await connect()
    let wall0 = Date.now()
    const stormEvery = o.faults.storms > 0 ? (simEnd - simStart) / (o.faults.storms + 1) : Infinity
    let nextStorm = simStart + stormEvery
    let storms = 0
    for (let d = 0; d < daysToRun && !stopped; d++) {
      for (;;) {
        const simNow = Math.min(base + (Date.now() - wall0) * o.speed, Date.now(), simEnd)
        dispatch(day.until(simNow), simNow)
        if (simNow >= nextStorm && storms < o.faults.storms) {
          nextStorm += stormEvery
          storms++
          truth.fault('storms')
          log.info('reconnect storm: dropping every connection')
          fleet.drop(fleet.ids)
        }
        const s = fleet.stats()
        o.onProgress?.({
          simNow,
          simEnd,
          sent,
          acked,
          failed: sent - acked - s.inFlight,
          connected: s.connected,
          inFlight: s.inFlight
        })
        if (simNow >= simEnd || stopped) break
        await sleep(o.tickMs ?? 100)
      }
      if (stopped || d + 1 >= daysToRun) break
      // The next day continues each device's seq.
      for (const [id, s] of lastSeq) seqOffset.set(id, s + 1)
      flushHeld()
      date = addDays(date, 1)
      day = dayOf(date)
      base = day.dayStart
      wall0 = Date.now()
      simEnd = day.dayEnd
    }
    flushHeld()
    while (pending.size > 0) await Promise.allSettled([...pending])
    await fleet.close()
    return truth.toJSON()
  })()

  return {
    done,
    async stop(graceMs) {
      stopped = true
      resolveStop()
      if (graceMs === undefined) return done
      const timer = setTimeout(() => void fleet.close({ force: true }), graceMs)
      try {
        return await done
      } finally {
        clearTimeout(timer)
      }
    }
  }
}
