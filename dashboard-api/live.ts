import type { Logger } from 'pino'
import type { Fact, WeighingFact } from '../contracts/facts.ts'
import type { SitesSnapshot, SiteUpdate } from '../contracts/ws.ts'
import type { InfluxClient } from '../influx/client.ts'
import type { FactSource } from './factSource.ts'
import { todaysTickets } from './rebuild.ts'
import { createSiteTonnage } from './siteTonnage.ts'

export interface Live {
  /** Subscribe to facts, rebuild today from InfluxDB, then fold the facts that arrived meanwhile. */
  start(): Promise<void>
  snapshot(): SitesSnapshot
  /** Listener gets each site update, and a fresh snapshot when the local day rolls over. */
  onMessage(listener: (msg: SiteUpdate | SitesSnapshot) => void): () => void
  close(): Promise<void>
}

export interface LiveDeps {
  readonly facts: FactSource
  readonly influx: InfluxClient
  readonly tz: string
  readonly now: () => number
  readonly log: Logger
  /** How often to look for local midnight. */
  readonly rolloverCheckMs?: number
}

export function createLive(deps: LiveDeps): Live {
  const tonnage = createSiteTonnage({ tz: deps.tz, now: deps.now })
  const listeners = new Set<(msg: SiteUpdate | SitesSnapshot) => void>()
  let buffered: WeighingFact[] | undefined = []
  let lastDay = tonnage.day()
  let timer: NodeJS.Timeout | undefined

  const emit = (msg: SiteUpdate | SitesSnapshot): void => {
    for (const l of listeners) l(msg)
  }
  const snapshot = (): SitesSnapshot => ({ type: 'snapshot', channel: 'sites', day: tonnage.day(), sites: tonnage.snapshot() })
  const fold = (f: WeighingFact): void => {
    const totals = tonnage.apply(f)
    if (totals) emit({ type: 'site', day: tonnage.day(), ...totals })
  }

  function onFacts(facts: readonly Fact[]): void {
    for (const f of facts) {
      if (f.kind !== 'weighing') continue
      if (buffered) buffered.push(f)
      else fold(f)
    }
  }

  return {
    async start() {
      await deps.facts.subscribe(onFacts)
      const day = tonnage.day()
      const tickets = await todaysTickets(deps.influx, day, deps.tz)
      for (const t of tickets) tonnage.apply(t)
      const pending = buffered ?? []
      buffered = undefined
      for (const f of pending) fold(f)
      deps.log.info({ day, tickets: tickets.length, overlap: pending.length }, 'today rebuilt from InfluxDB')
      timer = setInterval(() => {
        if (tonnage.day() !== lastDay) {
          lastDay = tonnage.day()
          emit(snapshot())
        }
      }, deps.rolloverCheckMs ?? 10_000)
      timer.unref()
    },
    snapshot,
    onMessage(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async close() {
      if (timer) clearInterval(timer)
      listeners.clear()
      await deps.facts.close()
    }
  }
}
