import { describe, expect, it } from 'vitest'
import type { HourPoint, SiteBalance } from '../../contracts/ops.ts'
import { profileShare } from '../fold/projection.ts'
import { hourlyOption, paceOption, stockOption } from './src/charts.ts'
import { createI18n } from './src/i18n/index.ts'
import { DEFAULT_TRIP_T, cityPace, countByType, cutoffAt, rankExceptions, stockCurve } from './src/ops.ts'

// The page's operations-centre logic (src/ops.ts) and chart options (src/charts.ts), pure,
// given `now`. The browser tests (test/e2e/webOps.test.ts) check the same on the live page.

const H = 3_600_000
const DAY = Date.UTC(2026, 11, 1, 16) // 2026-12-02 00:00 in Asia/Shanghai
const i18n = createI18n('zh-CN', 'Asia/Shanghai')

const hours = (inT: (h: number) => number, outT: (h: number) => number = () => 0): HourPoint[] =>
  Array.from({ length: 24 }, (_, hour) => ({ hour, start: DAY + hour * H, inT: inT(hour), outT: outT(hour) }))

function site(over: Partial<SiteBalance> & Pick<SiteBalance, 'siteId'>): SiteBalance {
  return {
    name: over.siteId,
    type: 'transfer',
    district: '梁溪',
    day: '2026-12-02',
    inT: 0,
    outT: 0,
    openingT: 0,
    stockT: 0,
    clearancePct: null,
    capacityPct: null,
    capacityTpd: 400,
    toleranceT: 1,
    cutoff: '20:00',
    cleared: true,
    ticketsIn: 0,
    ticketsOut: 0,
    lastTicketAt: null,
    projection: { status: 'on-track', projectedInT: 0, projectedOutT: 0, projectedStockT: 0, overCapacity: false },
    ...over
  }
}

describe('hourly chart', () => {
  it('leaves hours not yet reached undrawn (null), not 0', () => {
    const now = DAY + 10 * H + 35 * 60_000
    const o = hourlyOption(
      i18n,
      hours(() => 2),
      now
    )
    const inData = o.series[0]!.data
    expect(inData.slice(0, 11)).toEqual(new Array(11).fill(2))
    expect(inData.slice(11)).toEqual(new Array(13).fill(null))
    expect(o.series[1]!.data[10]).toBe(0)
    expect(o.series[1]!.data[11]).toBeNull()
  })
})

describe('city pace', () => {
  it('draws the cumulative inbound up to now and the target pace over the whole day', () => {
    const now = DAY + 10 * H + 30 * 60_000
    const pace = cityPace(
      hours((h) => h + 1),
      5300,
      now
    )
    expect(pace.actual[0]).toBe(1)
    expect(pace.actual[10]).toBe(66) // 1 + 2 + … + 11
    expect(pace.actual.slice(11)).toEqual(new Array(13).fill(null))
    expect(pace.expected[23]).toBe(5300)
    expect(pace.expected[9]).toBeCloseTo(5300 * profileShare(10 * H), 1)
    expect(pace.expectedNowT).toBeCloseTo(5300 * profileShare(10.5 * H), 1)
    const o = paceOption(i18n, pace, 5300)
    expect(o.series[1]!.markLine?.data).toEqual([{ yAxis: 5300 }])
  })
})

describe('exceptions', () => {
  const now = DAY + 15 * H
  const sites = [
    site({ siteId: 'fine' }),
    site({
      siteId: 'risky',
      inT: 60,
      outT: 20,
      stockT: 40,
      ticketsIn: 6,
      ticketsOut: 2,
      projection: { status: 'at-risk', projectedInT: 80, projectedOutT: 50, projectedStockT: 30, overCapacity: false }
    }),
    site({
      siteId: 'lost',
      type: 'sorting',
      capacityTpd: 80,
      openingT: 5,
      inT: 100,
      stockT: 105,
      ticketsIn: 10,
      projection: {
        status: 'will-not-clear',
        projectedInT: 128,
        projectedOutT: 0,
        projectedStockT: 133,
        overCapacity: true
      }
    }),
    site({
      siteId: 'big',
      inT: 420,
      outT: 420,
      ticketsIn: 40,
      ticketsOut: 30,
      projection: { status: 'on-track', projectedInT: 500, projectedOutT: 500, projectedStockT: 0, overCapacity: true }
    })
  ]

  it('ranks will-not-clear, then at-risk, then over capacity, and says what must still go out', () => {
    const ranked = rankExceptions(sites, DAY, now)
    expect(ranked.map((e) => e.site.siteId)).toEqual(['lost', 'risky', 'big'])
    const [lost, risky] = ranked
    expect(lost!.stockAtCutoffT).toBe(133)
    // 5 opening + 128 projected in − 0 out − 1 tolerance, at the default trip load.
    expect(lost!.toShipT).toBe(132)
    expect(lost!.tripMeasured).toBe(false)
    expect(lost!.trips).toBe(Math.ceil(132 / DEFAULT_TRIP_T))
    expect(lost!.msToCutoff).toBe(5 * H)
    // 80 projected in − 20 out − 1 tolerance, at this site's own 10 t a trip.
    expect(risky!.toShipT).toBe(59)
    expect(risky!.tripT).toBe(10)
    expect(risky!.trips).toBe(6)
  })

  it('after the cut-off, counts the actual stock', () => {
    const late = rankExceptions(sites, DAY, DAY + 21 * H)
    const lost = late.find((e) => e.site.siteId === 'lost')!
    expect(lost.stockAtCutoffT).toBe(105)
    expect(lost.toShipT).toBe(104)
    expect(lost.msToCutoff).toBeLessThan(0)
  })

  it('counts transfer stations and sorting centres apart, idle ones on their own', () => {
    const idleSorting = site({ siteId: 'quiet', type: 'sorting' })
    const c = countByType([...sites, idleSorting])
    expect(c.transfer).toEqual({
      total: 3,
      idle: 1,
      cleared: 0,
      onTrack: 1,
      atRisk: 1,
      willNotClear: 0,
      overCapacity: 1
    })
    expect(c.sorting).toEqual({
      total: 2,
      idle: 1,
      cleared: 0,
      onTrack: 0,
      atRisk: 0,
      willNotClear: 1,
      overCapacity: 1
    })
  })
})

describe('stock curve', () => {
  it('follows opening + in − out hour by hour and ends the projection on the projected stock at the cut-off', () => {
    const now = DAY + 9 * H + 30 * 60_000
    const hourly = hours(
      (h) => (h < 9 ? 4 : h === 9 ? 2 : 0),
      (h) => (h === 8 ? 10 : 0)
    )
    const s = site({
      siteId: 'ts',
      openingT: 3,
      inT: 38,
      outT: 10,
      stockT: 31,
      cutoff: '18:00',
      projection: { status: 'at-risk', projectedInT: 70, projectedOutT: 40, projectedStockT: 33, overCapacity: false }
    })
    const c = stockCurve(s, hourly, now)
    expect(c.cutoffMs).toBe(cutoffAt(DAY, '18:00'))
    expect(c.past[0]).toEqual([DAY, 3])
    expect(c.past[1]).toEqual([DAY + H, 7])
    expect(c.past[9]).toEqual([DAY + 9 * H, 3 + 36 - 10])
    expect(c.past.at(-1)).toEqual([now, 31])
    expect(c.ahead[0]).toEqual([now, 31])
    expect(c.ahead.at(-1)).toEqual([c.cutoffMs, 33])
    const o = stockOption(i18n, c, 1, DAY)
    expect(o.series[0]!.markLine?.data.map((d) => ('yAxis' in d ? d.yAxis : d.xAxis))).toEqual([1, c.cutoffMs])
    // After the cut-off nothing is projected.
    expect(stockCurve(s, hourly, DAY + 19 * H).ahead).toEqual([])
  })
})
