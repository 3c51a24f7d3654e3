import { describe, expect, it } from 'vitest'
import type { DailyRow } from '../../contracts/ops.ts'
import { cityDays } from './src/historyCharts.ts'

const row = (day: string, siteId: string, inT: number, outT: number, openingT: number, hasData: boolean): DailyRow => ({
  day,
  siteId,
  inT,
  outT,
  openingT,
  stockT: openingT + inT - outT,
  clearancePct: null,
  capacityPct: null,
  cleared: true,
  hasData
})

describe('the city totals of the history view', () => {
  it('sums the sites per day, leaves days without a ticket without rates, and marks today in progress', () => {
    const days = cityDays(
      [
        row('2026-12-02', 'ts-1', 30, 12, 0, true),
        row('2026-12-02', 'sc-1', 20, 15, 0, true),
        row('2026-12-01', 'ts-1', 0, 0, 0, false),
        row('2026-12-01', 'sc-1', 0, 0, 0, false)
      ],
      480,
      '2026-12-02'
    )
    expect(days).toEqual([
      { day: '2026-12-01', inT: 0, outT: 0, clearancePct: null, capacityPct: null, hasData: false, inProgress: false },
      { day: '2026-12-02', inT: 50, outT: 27, clearancePct: 54, capacityPct: 10.4, hasData: true, inProgress: true }
    ])
  })

  it('counts the opening stock in what there was to clear', () => {
    const [d] = cityDays([row('2026-11-30', 'ts-1', 10, 10, 10, true)], 400, '2026-12-02')
    expect(d).toMatchObject({ clearancePct: 50, capacityPct: 2.5, inProgress: false })
  })
})
