import type { WeighingFact } from '../contracts/facts.ts'
import type { SiteTonnes } from '../contracts/ws.ts'
import { localDate } from '../lib/time.ts'

/** The fields of a ticket the tonnage fold needs; facts and InfluxDB rows both give them. */
export type Ticket = Pick<WeighingFact, 'deviceId' | 'ticketId' | 'direction' | 'ts' | 'siteId' | 'netKg'>

export interface SiteTonnage {
  /** Fold one committed ticket; returns the site's new totals, or undefined when it did not count (other day, duplicate). */
  apply(t: Ticket): SiteTonnes | undefined
  day(): string
  snapshot(): SiteTonnes[]
}

const tonnes = (kg: number): number => Math.round(kg) / 1000

/**
 * Today's in/out tonnes per site: a fold over committed tickets that counts each ticket once
 * (device + ticket + direction + event time; a retransmission is the same ticket, design
 * decision 4) on the local day of its event time.
 */
export function createSiteTonnage(opts: { tz: string; now: () => number }): SiteTonnage {
  let day = localDate(opts.now(), opts.tz)
  let seen = new Set<string>()
  let kg = new Map<string, { inKg: number; outKg: number }>()

  function roll(): void {
    const today = localDate(opts.now(), opts.tz)
    if (today !== day) {
      day = today
      seen = new Set()
      kg = new Map()
    }
  }
  const totals = (siteId: string): SiteTonnes => {
    const k = kg.get(siteId) ?? { inKg: 0, outKg: 0 }
    return { siteId, inT: tonnes(k.inKg), outT: tonnes(k.outKg) }
  }

  return {
    apply(t) {
      roll()
      if (localDate(t.ts, opts.tz) !== day) return undefined
      const id = `${t.deviceId}|${t.ticketId}|${t.direction}|${t.ts}`
      if (seen.has(id)) return undefined
      seen.add(id)
      const k = kg.get(t.siteId) ?? { inKg: 0, outKg: 0 }
      if (t.direction === 'in') k.inKg += t.netKg
      else k.outKg += t.netKg
      kg.set(t.siteId, k)
      return totals(t.siteId)
    },
    day() {
      roll()
      return day
    },
    snapshot() {
      roll()
      return [...kg.keys()].sort().map(totals)
    }
  }
}
