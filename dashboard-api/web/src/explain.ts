// Why a site is an exception, in words, and the countdown to its cut-off.
import type { I18n } from './i18n/index.ts'
import type { Exception } from './ops.ts'

export function countdown(L: I18n, ms: number): string {
  if (ms <= 0) return L.t('ops.pastCutoff')
  const min = Math.floor(ms / 60_000)
  const h = Math.floor(min / 60)
  return h > 0 ? L.t('ops.countdown', { h, m: min % 60 }) : L.t('ops.countdownMin', { m: min })
}

export function explain(L: I18n, e: Exception): string {
  const s = e.site
  const parts: string[] = []
  if (e.status === 'will-not-clear' || e.status === 'at-risk') {
    const key = e.msToCutoff <= 0 ? 'ops.why.past' : `ops.why.${e.status}`
    parts.push(
      L.t(key, {
        cutoff: s.cutoff,
        stock: L.num(e.stockAtCutoffT),
        tol: L.num(s.toleranceT),
        ship: L.num(e.toShipT),
        trips: L.int(e.trips)
      }),
      `(${L.t(e.tripMeasured ? 'ops.trip.measured' : 'ops.trip.default', { t: L.num(e.tripT) })})`
    )
  }
  if (e.overCapacity)
    parts.push(L.t('ops.why.overCapacity', { in: L.num(s.projection.projectedInT), cap: L.int(s.capacityTpd) }))
  return parts.join(' ')
}
