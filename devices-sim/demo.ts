// `qingyun start --demo`: the city simulated live against the running system. Today from local
// midnight at `speed`, catching up with the wall clock and then running in real time, day after
// day (device timestamps never run ahead of the clock). Faults off: it is a showcase.
import type { Logger } from 'pino'
import type { Registry } from '../contracts/registry.ts'
import { localDate } from '../lib/time.ts'
import { readCredentials } from '../registry/seed.ts'
import { FaultOptions } from './run/faults.ts'
import { startCity } from './run/city.ts'

export interface DemoOptions {
  readonly mqttUrl: string
  readonly credentialsPath: string
  readonly registry: Registry
  readonly speed?: number
  /** Local day to start from; default today in the registry's zone. */
  readonly date?: string
  readonly seed?: number
  readonly log: Logger
}

export async function startDemo(o: DemoOptions): Promise<{ stop(): Promise<void> }> {
  const tz = o.registry.city.tz
  const credentials = await readCredentials(o.credentialsPath)
  const run = startCity({
    mqttUrl: o.mqttUrl,
    credentials,
    registry: o.registry,
    tz,
    date: o.date ?? localDate(Date.now(), tz),
    seed: o.seed ?? 1,
    speed: o.speed ?? 60,
    days: Number.POSITIVE_INFINITY,
    faults: FaultOptions.parse({}),
    log: o.log,
    tickMs: 250
  })
  run.done.catch((err: unknown) => o.log.error({ err }, 'demo simulator stopped'))
  return {
    async stop() {
      await run.stop(5000).catch(() => undefined)
    }
  }
}
