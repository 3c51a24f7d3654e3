// The history view's numbers and charts: city totals per day folded from the per-site daily rows
// (GET /api/v1/history), and the ECharts options drawn from them. Pure (no DOM).
import type { DailyRow } from '../../../contracts/ops.ts'
import { COLORS } from './charts.ts'
import type { I18n } from './i18n/index.ts'

export interface CityDay {
  day: string
  inT: number
  outT: number
  /** out / (opening + in) × 100, as a site's clearance; null with nothing to clear. */
  clearancePct: number | null
  /** in / design capacity of the sites × 100. */
  capacityPct: number | null
  /** Any site had a ticket that day: a day without any is "no data", not "cleared". */
  hasData: boolean
  inProgress: boolean
}

const pct = (a: number, b: number): number | null => (b > 0 ? Math.round((a / b) * 1000) / 10 : null)
const round = (x: number): number => Math.round(x * 1000) / 1000

/** City totals per day over the rows, in day order; `capacityTpd` is the sum over the city's sites. */
export function cityDays(rows: readonly DailyRow[], capacityTpd: number, today: string): CityDay[] {
  const byDay = new Map<string, { inT: number; outT: number; openingT: number; hasData: boolean }>()
  for (const r of rows) {
    const d = byDay.get(r.day) ?? { inT: 0, outT: 0, openingT: 0, hasData: false }
    d.inT += r.inT
    d.outT += r.outT
    d.openingT += r.openingT
    d.hasData ||= r.hasData
    byDay.set(r.day, d)
  }
  return [...byDay.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([day, d]) => ({
      day,
      inT: round(d.inT),
      outT: round(d.outT),
      clearancePct: d.hasData ? pct(d.outT, d.openingT + d.inT) : null,
      capacityPct: d.hasData ? pct(d.inT, capacityTpd) : null,
      hasData: d.hasData,
      inProgress: day === today
    }))
}

interface AxisParam {
  axisValue?: string
  seriesName?: string
  value?: number | null
}

const base = (i18n: I18n, days: readonly CityDay[], legend: string[]) => ({
  animation: false,
  textStyle: { color: COLORS.text },
  grid: { left: 56, right: 16, top: 36, bottom: 28 },
  legend: { top: 4, textStyle: { color: COLORS.text }, data: legend },
  xAxis: { type: 'category', data: days.map((d) => d.day), axisLine: { lineStyle: { color: COLORS.grid } } }
})

/** Tonnes in (bars) and out (line) per day; days without data are gaps, not zeros. */
export function tonnesOption(i18n: I18n, days: readonly CityDay[]) {
  const unit = i18n.t('unit.t')
  const v = (d: CityDay, f: 'inT' | 'outT'): number | null => (d.hasData ? d[f] : null)
  return {
    ...base(i18n, days, [i18n.t('chart.in'), i18n.t('chart.out')]),
    tooltip: {
      trigger: 'axis',
      formatter: (ps: AxisParam[]) =>
        [String(ps[0]?.axisValue ?? ''), ...ps.map((p) => `${p.seriesName} ${i18n.num(p.value)} ${unit}`)].join('<br>')
    },
    yAxis: {
      type: 'value',
      name: unit,
      splitLine: { lineStyle: { color: COLORS.grid } },
      axisLabel: { formatter: (x: number) => i18n.num(x) }
    },
    series: [
      {
        id: 'in',
        name: i18n.t('chart.in'),
        type: 'bar',
        data: days.map((d) => v(d, 'inT')),
        itemStyle: { color: COLORS.in }
      },
      {
        id: 'out',
        name: i18n.t('chart.out'),
        type: 'line',
        data: days.map((d) => v(d, 'outT')),
        itemStyle: { color: COLORS.out }
      }
    ]
  }
}

/** Clearance % and capacity use % per day (the city's), against the 100 % line. */
export function ratesOption(i18n: I18n, days: readonly CityDay[]) {
  const clearance = i18n.t('chart.clearance')
  const capacity = i18n.t('chart.capacity')
  return {
    ...base(i18n, days, [clearance, capacity]),
    tooltip: {
      trigger: 'axis',
      formatter: (ps: AxisParam[]) =>
        [String(ps[0]?.axisValue ?? ''), ...ps.map((p) => `${p.seriesName} ${i18n.pct(p.value)}`)].join('<br>')
    },
    yAxis: {
      type: 'value',
      name: '%',
      min: 0,
      max: (x: { max: number }) => Math.max(100, Math.ceil(x.max / 10) * 10),
      splitLine: { lineStyle: { color: COLORS.grid } }
    },
    series: [
      {
        id: 'clearance',
        name: clearance,
        type: 'line',
        data: days.map((d) => d.clearancePct),
        itemStyle: { color: COLORS.out },
        markLine: {
          symbol: 'none',
          silent: true,
          label: { show: false },
          lineStyle: { color: COLORS.grid },
          data: [{ yAxis: 100 }]
        }
      },
      {
        id: 'capacity',
        name: capacity,
        type: 'line',
        data: days.map((d) => d.capacityPct),
        itemStyle: { color: COLORS.warning }
      }
    ]
  }
}
