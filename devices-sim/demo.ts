// `qingyun start --demo`: the city simulated live against the running system.
//
// Today (the default): the day so far is backfilled first, as fast as the node makes it durable
// (handed straight to its ingest when the demo runs in the node's process), then the city runs
// in real time, day after day. During the catch-up the node's clock
// (`createDemoClock`, passed to startSystem as its `now`) follows the simulated instant, so the
// node sees the day as it would have happened: every message arrives within one catch-up step (at most 9 min, under the late threshold)
// of its event time (not late, whatever QINGYUN's late threshold), no device looks silent
// (no offline alerts), and alerts and projections are those of that instant. Once caught up
// the clock is the wall clock again; it never goes back.
// Another day (`--date`): that day from local midnight at `speed`, catching up with the wall
// clock (device timestamps never run ahead of it). Faults off: it is a showcase.
import type { Logger } from 'pino'
import type { Kind } from '../contracts/device/index.ts'
import type { Registry } from '../contracts/registry.ts'
import { deviceTopic } from '../contracts/topics.ts'
import { resolveRules } from '../contracts/registry.ts'
import { localDate, startOfLocalDay } from '../lib/time.ts'
import { readCredentials } from '../registry/seed.ts'
import { FaultOptions } from './run/faults.ts'
import { startCity } from './run/city.ts'

export interface DemoClock {
  /** The node's clock: the simulated instant during the catch-up, then the wall clock. */
  now(): number
  advance(simNow: number): void
  release(): void
}

/** A clock that starts at `from` (today's local midnight) and only moves forward. */
export function createDemoClock(from: number, wall: () => number = Date.now): DemoClock {
  let sim: number | undefined = Math.min(from, wall())
  return {
    now: () => (sim === undefined ? wall() : sim),
    advance(t) {
      if (sim !== undefined && t > sim) sim = Math.min(t, wall())
    },
    release() {
      sim = undefined
    }
  }
}

/** Longest catch-up step: data arrives at most this long after its event time. */
const MAX_STEP_MS = 9 * 60_000
/** Trackers' fixes in the backfilled hours: at most one per 5 min apart (live: every 15 s). */
const MAX_BACKFILL_POSITION_MS = 5 * 60_000
/** Bins' readings in the backfilled hours: one per 30 min at most (live: every 5 min). */
const MAX_BACKFILL_FILL_MS = 30 * 60_000
/** Room between a step and the late threshold: a step's data is never classified late. */
const LATE_MARGIN_MS = 60_000

export interface DemoOptions {
  readonly mqttUrl: string
  readonly credentialsPath: string
  readonly registry: Registry
  readonly speed?: number
  /** Local day to start from; default today in the registry's zone. */
  readonly date?: string
  readonly seed?: number
  readonly log: Logger
  /** Today's catch-up drives this clock (the node's); absent: no catch-up, `speed` from midnight. */
  readonly clock?: DemoClock
  /**
   * The node's ingest (`System.ingest.handle`), when the demo runs in the node's process: the
   * catch-up hands it each payload directly, stamped with the node's clock, and goes over MQTT
   * only once live (devices-sim/run/city.ts, Backfill). The same validation, spool and PUBACK
   * rule as over MQTT; what is skipped is the protocol's cost per tiny array.
   */
  readonly ingest?: (msg: DirectMessage) => Promise<void>
}

/** One payload as the broker would hand it to ingest (ingest/types.ts, Inbound). */
export interface DirectMessage {
  readonly deviceId: string
  readonly kind: Kind
  readonly topic: string
  readonly payload: Uint8Array
  readonly recvMs: number
}

export async function startDemo(o: DemoOptions): Promise<{ stop(): Promise<void> }> {
  const tz = o.registry.city.tz
  const credentials = await readCredentials(o.credentialsPath)
  const today = localDate(Date.now(), tz)
  const date = o.date ?? today
  // The longer the step, the more of a device's data goes in one array (fewer messages): as
  // long as the late threshold allows. The next step starts only when this one is acknowledged.
  const rules = resolveRules(o.registry.rules)
  const stepMs = Math.max(1000, Math.min(MAX_STEP_MS, rules.lateAfterMs - LATE_MARGIN_MS))
  // Fewer fixes in the replayed hours, but never so few that a tracker on duty looks silent: its
  // last fix is less than one interval old when a step starts, and the step's data arrives
  // within stepMs, so interval + stepMs must stay within the tracker's offline threshold.
  const positionEveryMs = Math.min(MAX_BACKFILL_POSITION_MS, rules.offlineAfterMs['gps-tracker'] - stepMs)
  // The same bound for the bins, whose readings are most of a day's messages: at one per 30 min
  // a bin has data in one step of three, which halves the catch-up's messages.
  const fillEveryMs = Math.min(MAX_BACKFILL_FILL_MS, rules.offlineAfterMs['fill-sensor'] - stepMs)
  const clock = o.clock
  const ingest = o.ingest
  const run = startCity({
    mqttUrl: o.mqttUrl,
    credentials,
    registry: o.registry,
    tz,
    date,
    seed: o.seed ?? 1,
    speed: o.speed ?? 60,
    days: Number.POSITIVE_INFINITY,
    faults: FaultOptions.parse({}),
    log: o.log,
    tickMs: 250,
    ...(clock && date === today
      ? {
          backfill: {
            stepMs,
            advance: (t: number) => clock.advance(t),
            release: () => clock.release(),
            ...(positionEveryMs >= 1000 ? { positionEveryMs } : {}),
            ...(fillEveryMs >= 1000 ? { fillEveryMs } : {}),
            ...(ingest ? { ingest: directIngest(ingest, clock) } : {})
          }
        }
      : {})
  })
  run.done.catch((err: unknown) => o.log.error({ err }, 'demo simulator stopped'))
  return {
    async stop() {
      clock?.release()
      await run.stop(5000).catch(() => undefined)
    }
  }
}

/** Today's local midnight in `tz`: where the demo's clock starts. */
export const demoClockStart = (tz: string, now = Date.now()): number => startOfLocalDay(localDate(now, tz), tz)

/** The catch-up's way straight into the node's ingest, each payload stamped with the node's clock. */
export const directIngest =
  (ingest: (msg: DirectMessage) => Promise<void>, clock: Pick<DemoClock, 'now'>) =>
  (deviceId: string, kind: Kind, payload: string): Promise<void> =>
    ingest({ deviceId, kind, topic: deviceTopic(deviceId, kind), payload: Buffer.from(payload), recvMs: clock.now() })
