// The big screen's figures (大屏, views/WallView.vue), from the live `city`, `sites` and `alerts`
// channels. Pure, unit-tested in wall.test.ts; the browser test (test/e2e/webWall.test.ts)
// checks the page shows what REST answers.
import type { Alert, CitySummary, SiteBalance } from '../../../contracts/ops.ts'
import { cityPace } from './ops.ts'

const round1 = (x: number): number => Math.round(x * 10) / 10

export interface WallFigures {
  readonly inT: number
  readonly outT: number
  readonly targetT: number
  readonly targetPct: number | null
  /** Where inbound should be by now to meet the target. */
  readonly paceT: number
  /** Inbound minus pace: negative when behind. */
  readonly paceDeltaT: number
  /**
   * The city's clearance: out / (opening + in) × 100 over every site, as a site's clearance is
   * (the history charts use the same); null with nothing to clear.
   */
  readonly clearancePct: number | null
  /** Sites at risk of not clearing or that will not clear by their cut-off. */
  readonly atRisk: number
  readonly willNotClear: number
  readonly sitesCleared: number
  readonly sites: number
  readonly alerts: CitySummary['alerts']
}

/**
 * `paceT` is where inbound should be at `now` (ops.ts cityPace, the server's projection
 * profile): the city channel pushes only when numbers change, and on a quiet hour the pace
 * must still move with the clock.
 */
export function wallFigures(city: CitySummary, sites: Iterable<SiteBalance>, now: number): WallFigures {
  let out = 0
  let due = 0
  for (const s of sites) {
    out += s.outT
    due += s.openingT + s.inT
  }
  const paceT = city.hourly.length > 0 ? cityPace(city.hourly, city.targetT, now).expectedNowT : city.paceT
  return {
    inT: city.inT,
    outT: city.outT,
    targetT: city.targetT,
    targetPct: city.targetPct,
    paceT,
    paceDeltaT: round1(city.inT - paceT),
    clearancePct: due > 0 ? round1((100 * out) / due) : null,
    atRisk: city.sites.atRisk,
    willNotClear: city.sites.willNotClear,
    sitesCleared: city.sites.cleared,
    sites: city.sites.total,
    alerts: city.alerts
  }
}

/** Open alerts, newest first (then the more severe), at most `n`. */
export function newestAlerts(alerts: Iterable<Alert>, n: number): Alert[] {
  const sev = { critical: 0, warning: 1, info: 2 } as Record<string, number>
  return [...alerts]
    .filter((a) => a.state === 'open')
    .sort((a, b) => b.openedAt - a.openedAt || (sev[a.severity] ?? 9) - (sev[b.severity] ?? 9))
    .slice(0, Math.max(0, n))
}

/**
 * How many rows of `rowEm` em fit in a box `heightPx` tall at `fontPx`: the wall shows what fits
 * and counts the rest, so nothing is cut off and nothing scrolls at any screen size.
 */
export function rowsThatFit(heightPx: number, fontPx: number, rowEm: number): number {
  if (!(heightPx > 0) || !(fontPx > 0) || !(rowEm > 0)) return 0
  return Math.max(0, Math.floor(heightPx / (fontPx * rowEm) + 1e-6))
}
