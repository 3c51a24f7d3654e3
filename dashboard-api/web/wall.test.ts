import { describe, expect, it } from 'vitest'
import type { Alert, CitySummary, SiteBalance } from '../../contracts/ops.ts'
import { cityPace } from './src/ops.ts'
import { newestAlerts, rowsThatFit, wallFigures } from './src/wall.ts'

// The wall's figures (src/wall.ts), pure. The browser test (test/e2e/webWall.test.ts) checks
// the live page against REST.

const counts = { total: 3, cleared: 1, onTrack: 0, atRisk: 1, willNotClear: 1, overCapacity: 0, noData: 0 }
const city = {
  inT: 130,
  outT: 20,
  targetT: 480,
  targetPct: 27.1,
  paceT: 150.25,
  sites: counts,
  alerts: { critical: 2, warning: 1, info: 0 },
  hourly: []
} as unknown as CitySummary
const site = (openingT: number, inT: number, outT: number) => ({ openingT, inT, outT }) as SiteBalance
const alert = (id: string, openedAt: number, severity: Alert['severity'], state: Alert['state'] = 'open') =>
  ({ id, openedAt, severity, state }) as Alert

describe('wallFigures', () => {
  it('takes the city numbers as they are and the clearance over every site', () => {
    const f = wallFigures(city, [site(10, 30, 20), site(0, 100, 0), site(0, 0, 0)], 0)
    expect(f).toEqual({
      inT: 130,
      outT: 20,
      targetT: 480,
      targetPct: 27.1,
      paceT: 150.25,
      paceDeltaT: -20.2,
      clearancePct: 14.3,
      atRisk: 1,
      willNotClear: 1,
      sitesCleared: 1,
      sites: 3,
      alerts: { critical: 2, warning: 1, info: 0 }
    })
  })

  it('has no clearance when nothing was there to clear', () => {
    expect(wallFigures(city, [site(0, 0, 0)], 0).clearancePct).toBeNull()
    expect(wallFigures(city, [], 0).clearancePct).toBeNull()
  })

  it("moves the pace with the clock, as the city view's pace line does", () => {
    const H = 3_600_000
    const DAY = Date.UTC(2026, 11, 1, 16)
    const hourly = Array.from({ length: 24 }, (_, hour) => ({ hour, start: DAY + hour * H, inT: 0, outT: 0 }))
    const c = { ...city, hourly } as CitySummary
    const at = (ms: number) => wallFigures(c, [], ms).paceT
    expect(at(DAY + 10 * H)).toBe(cityPace(hourly, 480, DAY + 10 * H).expectedNowT)
    expect(at(DAY + 11 * H)).toBeGreaterThan(at(DAY + 10 * H))
    expect(wallFigures(c, [], DAY + 10 * H).paceDeltaT).toBe(Math.round((130 - at(DAY + 10 * H)) * 10) / 10)
  })
})

describe('newestAlerts', () => {
  it('keeps the open ones, newest first, the more severe first on a tie, at most n', () => {
    const list = [
      alert('a', 1, 'info'),
      alert('b', 3, 'warning'),
      alert('c', 3, 'critical'),
      alert('d', 9, 'critical', 'resolved')
    ]
    expect(newestAlerts(list, 5).map((a) => a.id)).toEqual(['c', 'b', 'a'])
    expect(newestAlerts(list, 2).map((a) => a.id)).toEqual(['c', 'b'])
    expect(newestAlerts(list, 0)).toEqual([])
  })
})

describe('rowsThatFit', () => {
  it('counts whole rows only, and none in a box not laid out yet', () => {
    expect(rowsThatFit(520, 20, 2.6)).toBe(10)
    expect(rowsThatFit(519, 20, 2.6)).toBe(9)
    expect(rowsThatFit(1040, 40, 2.6)).toBe(10)
    expect(rowsThatFit(0, 20, 2.6)).toBe(0)
    expect(rowsThatFit(100, Number.NaN, 2.6)).toBe(0)
  })
})
