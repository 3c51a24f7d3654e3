// ECharts options shared by the views. Tooltips are plain text: the CSP refuses the inline
// styles of ECharts' default markers.
import type { I18n } from './i18n/index.ts'

export const COLORS = {
  in: '#2f7fd8',
  out: '#2fb47d',
  critical: '#d64545',
  warning: '#e39a2b',
  info: '#5b8def',
  grid: '#2b3a4d',
  text: '#c9d4e0'
}

export interface HourPoint {
  hour: number
  inT: number
  outT: number
}

interface AxisParam {
  axisValue?: string
  seriesName?: string
  value?: number | null
}

/** Bars of inbound and outbound tonnes per local hour (0–23), from HourPoint[]. */
export function hourlyOption(i18n: I18n, hourly: readonly HourPoint[]) {
  const hours = Array.from({ length: 24 }, (_, h) => h)
  const byHour = new Map(hourly.map((p) => [p.hour, p]))
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
        data: hours.map((x) => byHour.get(x)?.inT ?? 0),
        itemStyle: { color: COLORS.in }
      },
      {
        id: 'out',
        name: i18n.t('chart.out'),
        type: 'line',
        data: hours.map((x) => byHour.get(x)?.outT ?? 0),
        itemStyle: { color: COLORS.out }
      }
    ]
  }
}
