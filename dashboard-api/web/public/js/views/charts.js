// ECharts helpers shared by the views (echarts is the global from /vendor/echarts.min.js).
/* global echarts, window */

export const COLORS = { in: '#2f7fd8', out: '#2fb47d', critical: '#d64545', warning: '#e39a2b', info: '#5b8def', grid: '#2b3a4d', text: '#c9d4e0' }

/** A chart bound to an element; resized with the window; disposed by the returned function. */
export function createChart(el) {
  const chart = echarts.init(el, null, { renderer: 'canvas' })
  const onResize = () => chart.resize()
  window.addEventListener('resize', onResize)
  return {
    chart,
    dispose() {
      window.removeEventListener('resize', onResize)
      chart.dispose()
    }
  }
}

/**
 * Bars of inbound and outbound tonnes per local hour (0–23), from HourPoint[].
 * Tooltips are plain text: the CSP refuses the inline styles of ECharts' default markers.
 */
export function hourlyOption(i18n, hourly) {
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
      formatter: (ps) => [`${String(ps[0]?.axisValue ?? '')}:00`, ...ps.map((p) => `${p.seriesName} ${i18n.num(p.value)} ${unit}`)].join('<br>')
    },
    xAxis: { type: 'category', data: hours.map((x) => String(x).padStart(2, '0')), axisLine: { lineStyle: { color: COLORS.grid } } },
    yAxis: { type: 'value', name: unit, splitLine: { lineStyle: { color: COLORS.grid } }, axisLabel: { formatter: (v) => i18n.num(v) } },
    series: [
      { id: 'in', name: i18n.t('chart.in'), type: 'bar', data: hours.map((x) => byHour.get(x)?.inT ?? 0), itemStyle: { color: COLORS.in } },
      { id: 'out', name: i18n.t('chart.out'), type: 'line', smooth: true, data: hours.map((x) => byHour.get(x)?.outT ?? 0), itemStyle: { color: COLORS.out } }
    ]
  }
}
