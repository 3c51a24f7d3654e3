// The operations centre's exceptions of a day: sites that will not clear, are at risk or over
// capacity, ranked, each with the stock expected at its cut-off, the time left, the outbound
// tonnes and trips that would still clear it, and why, in words (fold/projection.ts explains
// the projection). Pure: given the balances, the projection inputs and `now`.
import type { SiteException } from '../../contracts/opsCentre.ts'
import type { Reason } from '../../contracts/opsCentre.ts'
import type { SiteBalance } from '../../contracts/ops.ts'
import { outboundNeededKg, type ProjectionInput } from './projection.ts'
import { tonnes } from './round.ts'

/**
 * The load of one outbound trip when a site has shipped nothing today: a transfer station
 * ships in 12–18 t transfer trucks, a sorting centre its baled recyclables in smaller loads.
 */
export const DEFAULT_OUTBOUND_LOAD_T = { transfer: 15, sorting: 5 } as const

export interface ExceptionInput {
  readonly balance: SiteBalance
  /** Today's projection input (fold/sites.ts projectionInput); absent for a closed day. */
  readonly projection?: ProjectionInput
  readonly cutoffAt: number
  /** Net kg of the site's outbound tickets of the day. */
  readonly outboundKg: readonly number[]
}

export function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const KIND_ORDER = { 'will-not-clear': 0, 'at-risk': 1, 'over-capacity': 2 } as const
const fmt = (t: number): string => (Math.round(t * 10) / 10).toFixed(1)

function reasonOf(
  kind: SiteException['kind'],
  b: SiteBalance,
  x: Pick<SiteException, 'projectedStockAtCutoffT' | 'outboundNeededT' | 'tripsNeeded' | 'minutesToCutoff'>
): Reason {
  const over = b.projection.overCapacity
    ? {
        zh: `预计今日进场 ${fmt(b.projection.projectedInT)} 吨，超过设计能力 ${b.capacityTpd} 吨/日。`,
        en: `Inbound projected at ${fmt(b.projection.projectedInT)} t today, above the design capacity of ${b.capacityTpd} t/day.`
      }
    : { zh: '', en: '' }
  if (kind === 'over-capacity') return over
  const need = {
    zh: `还需外运 ${fmt(x.outboundNeededT)} 吨（约 ${x.tripsNeeded} 车）`,
    en: `${fmt(x.outboundNeededT)} t still to ship (about ${x.tripsNeeded} trip${x.tripsNeeded === 1 ? '' : 's'})`
  }
  const join = (a: string, c: string): string => (c === '' ? a : `${a} ${c}`)
  if (x.minutesToCutoff === 0) {
    return {
      zh: join(
        `已过截止时间 ${b.cutoff}，库存 ${fmt(b.stockT)} 吨超出容差 ${fmt(b.toleranceT)} 吨；${need.zh}。`,
        over.zh
      ),
      en: join(
        `Past the ${b.cutoff} cut-off with ${fmt(b.stockT)} t in stock, above the ${fmt(b.toleranceT)} t tolerance; ${need.en}.`,
        over.en
      )
    }
  }
  const proj = {
    zh: `按目前的外运速度，截止 ${b.cutoff} 时预计库存 ${fmt(x.projectedStockAtCutoffT)} 吨，超出容差 ${fmt(b.toleranceT)} 吨`,
    en: `At the current outbound rate, ${fmt(x.projectedStockAtCutoffT)} t will be in stock at the ${b.cutoff} cut-off, above the ${fmt(b.toleranceT)} t tolerance`
  }
  const verdict =
    kind === 'will-not-clear'
      ? { zh: '即使满负荷外运也无法按时清空', en: 'even shipping at full capacity would not clear it in time' }
      : { zh: '加快外运仍可日清', en: 'faster outbound can still clear it' }
  return {
    zh: join(`${proj.zh}；${need.zh}，${verdict.zh}。`, over.zh),
    en: join(`${proj.en}; ${need.en} — ${verdict.en}.`, over.en)
  }
}

/** Ranked: will-not-clear, then at-risk, then over capacity only; within each, most tonnes to ship first. */
export function siteExceptions(inputs: readonly ExceptionInput[], now: number): SiteException[] {
  const items: Omit<SiteException, 'rank'>[] = []
  for (const { balance: b, projection: p, cutoffAt, outboundKg } of inputs) {
    const st = b.projection.status
    const kind =
      st === 'will-not-clear' || st === 'at-risk' ? st : b.projection.overCapacity ? 'over-capacity' : undefined
    if (kind === undefined) continue
    const neededKg = p ? outboundNeededKg(p) : Math.max(0, (b.stockT - b.toleranceT) * 1000)
    const med = median(outboundKg)
    const loadT = med !== undefined && med > 0 ? tonnes(med) : DEFAULT_OUTBOUND_LOAD_T[b.type]
    const minutesToCutoff = Math.max(0, Math.ceil((cutoffAt - now) / 60_000))
    const x = {
      projectedStockAtCutoffT: b.projection.projectedStockT,
      outboundNeededT: tonnes(neededKg),
      tripsNeeded: Math.ceil(neededKg / 1000 / loadT),
      minutesToCutoff
    }
    items.push({
      kind,
      siteId: b.siteId,
      name: b.name,
      type: b.type,
      district: b.district,
      status: st,
      overCapacity: b.projection.overCapacity,
      stockT: b.stockT,
      toleranceT: b.toleranceT,
      projectedInT: b.projection.projectedInT,
      capacityTpd: b.capacityTpd,
      cutoff: b.cutoff,
      cutoffAt,
      typicalLoadT: loadT,
      typicalLoadFrom: med !== undefined && med > 0 ? 'site-today' : 'default',
      ...x,
      reason: reasonOf(kind, b, x)
    })
  }
  items.sort(
    (a, b) =>
      KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
      b.outboundNeededT - a.outboundNeededT ||
      b.projectedInT / b.capacityTpd - a.projectedInT / a.capacityTpd ||
      a.siteId.localeCompare(b.siteId)
  )
  return items.map((it, i) => ({ rank: i + 1, ...it }))
}
