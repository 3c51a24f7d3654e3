// ECharts options shared by the views. Tooltips are plain text: the CSP refuses the inline
// styles of ECharts' default markers. Pure (no DOM): unit-tested in ops.test.ts.
import type { HourPoint } from '../../../contracts/ops.ts'
import type { I18n } from './i18n/index.ts'
import type { Pace, StockCurve } from './ops.ts'

export const COLORS = {
  in: '#2f7fd8',
  out: '#2fb47d',
  critical: '#d64545',
  warning: '#e39a2b',
  info: '#5b8def',
  grid: '#2b3a4d',
  text: '#c9d4e0'
}

interface AxisParam {
  axisValue?: string
  seriesName?: string
  value?: number | null
}

/**
 * Bars of inbound and outbound tonnes per local hour (0–23), from HourPoint[]. Hours not yet
 * reached at `now` are null (not drawn), not 0: an empty evening is not a day that stopped.
 */
export function hourlyOption(i18n: I18n, hourly: readonly HourPoint[], now: number) {
  const hours = Array.from({ length: 24 }, (_, h) => h)
  const byHour = new Map(hourly.map((p) => [p.hour, p]))
  const value = (x: number, f: 'inT' | 'outT'): number | null => {
    const p = byHour.get(x)
    return p && p.start > now ? null : (p?.[f] ?? 0)
  }
  const unit = i18n.t('unit.t')
  return {
    animation: false,
    textStyle: { color: COLORS.text },
    grid: { left: 48, right: 16, top: 36, bottom: 28 },
    legend: { top: 4, textStyle: { color: COLORS.text }, data: [i18n.t('chart.in'), i18n.t('chart.out')] },
    tooltip: {
      trigger: 'axis',
      formatter: (ps: AxisParam[]) =>
        [`${String(ps[0]?.axisValue ?? '')}:00`, ...ps.map((p) => `${p.seriesName} ${i18n.num(p.value)} ${unit}`)].join(
          '<br>'
        )
    },
    xAxis: {
      type: 'category',
      data: hours.map((x) => String(x).padStart(2, '0')),
      axisLine: { lineStyle: { color: COLORS.grid } }
    },
    yAxis: {
      type: 'value',
      name: unit,
      splitLine: { lineStyle: { color: COLORS.grid } },
      axisLabel: { formatter: (v: number) => i18n.num(v) }
    },
    series: [
      {
        id: 'in',
        name: i18n.t('chart.in'),
        type: 'bar',
        data: hours.map((x) => value(x, 'inT')),
        itemStyle: { color: COLORS.in }
      },
      {
        id: 'out',
        name: i18n.t('chart.out'),
        type: 'line',
        data: hours.map((x) => value(x, 'outT')),
        itemStyle: { color: COLORS.out }
      }
    ]
  }
}

/** The city's cumulative inbound against the pace the day's target needs (same arrival profile as the projection). */
export function paceOption(i18n: I18n, pace: Pace, targetT: number) {
  const unit = i18n.t('unit.t')
  return {
    animation: false,
    textStyle: { color: COLORS.text },
    grid: { left: 56, right: 16, top: 36, bottom: 28 },
    legend: {
      top: 4,
      textStyle: { color: COLORS.text },
      data: [i18n.t('chart.cumIn'), i18n.t('chart.pace')]
    },
    tooltip: {
      trigger: 'axis',
      formatter: (ps: AxisParam[]) =>
        [`${String(ps[0]?.axisValue ?? '')}:00`, ...ps.map((p) => `${p.seriesName} ${i18n.num(p.value)} ${unit}`)].join(
          '<br>'
        )
    },
    xAxis: {
      type: 'category',
      data: pace.expected.map((_, h) => String(h + 1).padStart(2, '0')),
      axisLine: { lineStyle: { color: COLORS.grid } }
    },
    yAxis: {
      type: 'value',
      name: unit,
      max: (v: { max: number }) => Math.max(v.max, targetT),
      splitLine: { lineStyle: { color: COLORS.grid } },
      axisLabel: { formatter: (v: number) => i18n.num(v) }
    },
    series: [
      {
        id: 'actual',
        name: i18n.t('chart.cumIn'),
        type: 'line',
        data: pace.actual,
        itemStyle: { color: COLORS.in },
        areaStyle: { opacity: 0.15 },
        showSymbol: false
      },
      {
        id: 'pace',
        name: i18n.t('chart.pace'),
        type: 'line',
        data: pace.expected,
        itemStyle: { color: COLORS.warning },
        lineStyle: { type: 'dashed' },
        showSymbol: false,
        markLine: {
          symbol: 'none',
          silent: true,
          label: { color: COLORS.text, formatter: i18n.t('chart.target', { t: i18n.int(targetT) }) },
          lineStyle: { color: COLORS.warning },
          data: [{ yAxis: targetT }]
        }
      }
    ]
  }
}

/** A site's stock through the day and projected ahead, against its tolerance and cut-off. */
export function stockOption(i18n: I18n, curve: StockCurve, toleranceT: number, dayStart: number) {
  const unit = i18n.t('unit.t')
  const danger = curve.ahead.length > 0 && (curve.ahead[curve.ahead.length - 1]?.[1] ?? 0) > toleranceT
  return {
    animation: false,
    textStyle: { color: COLORS.text },
    grid: { left: 56, right: 72, top: 36, bottom: 28 },
    legend: {
      top: 4,
      textStyle: { color: COLORS.text },
      data: [i18n.t('chart.stock'), i18n.t('chart.projection')]
    },
    tooltip: {
      trigger: 'axis',
      formatter: (ps: Array<AxisParam & { value?: [number, number] }>) =>
        ps.map((p) => `${i18n.time(p.value?.[0])} ${p.seriesName} ${i18n.num(p.value?.[1])} ${unit}`).join('<br>')
    },
    xAxis: {
      type: 'time',
      min: dayStart,
      max: dayStart + 24 * 3_600_000,
      axisLine: { lineStyle: { color: COLORS.grid } },
      axisLabel: { formatter: (v: number) => i18n.time(v) },
      splitLine: { show: false }
    },
    yAxis: {
      type: 'value',
      name: unit,
      min: 0,
      max: (v: { max: number }) => Math.max(v.max, toleranceT * 2),
      splitLine: { lineStyle: { color: COLORS.grid } },
      axisLabel: { formatter: (v: number) => i18n.num(v) }
    },
    series: [
      {
        id: 'stock',
        name: i18n.t('chart.stock'),
        type: 'line',
        data: curve.past,
        itemStyle: { color: COLORS.in },
        areaStyle: { opacity: 0.15 },
        showSymbol: false,
        markLine: {
          symbol: 'none',
          silent: true,
          label: { color: COLORS.text },
          data: [
            {
              yAxis: toleranceT,
              lineStyle: { color: COLORS.out, type: 'dashed' },
              label: { formatter: i18n.t('chart.tolerance', { t: i18n.num(toleranceT) }), color: COLORS.text }
            },
            {
              xAxis: curve.cutoffMs,
              lineStyle: { color: COLORS.critical },
              label: { formatter: i18n.t('chart.cutoff', { time: i18n.time(curve.cutoffMs) }), color: COLORS.text }
            }
          ]
        }
      },
      {
        id: 'projection',
        name: i18n.t('chart.projection'),
        type: 'line',
        data: curve.ahead,
        itemStyle: { color: danger ? COLORS.critical : COLORS.out },
        lineStyle: { type: 'dashed' },
        showSymbol: false
      }
    ]
  }
}
