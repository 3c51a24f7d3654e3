// ECharts helpers shared by the views. ECharts (1 MB, the bulk of the page) is loaded after the
// shell, in parallel with the websocket's first snapshot, so numbers show before charts do;
// index.html preloads it so the download starts at once.
/* global window, document, setTimeout */

export const COLORS = {
  in: '#2f7fd8',
  out: '#2fb47d',
  critical: '#d64545',
  warning: '#e39a2b',
  info: '#5b8def',
  grid: '#2b3a4d',
  text: '#c9d4e0'
}

let loading = null
/** @returns {Promise<any>} the echarts namespace */
export function whenEcharts() {
  if (globalThis.echarts) return Promise.resolve(globalThis.echarts)
  loading ??= new Promise((resolve, reject) => {
    const s = document.createElement('script')
    s.src = '/vendor/echarts.min.js'
    s.onload = () => resolve(globalThis.echarts)
    s.onerror = () => {
      loading = null
      reject(new Error('/vendor/echarts.min.js did not load'))
    }
    document.head.append(s)
  })
  return loading
}

/**
 * A chart bound to an element, created once ECharts is there. ECharts is first asked for by
 * the first setOption (or `ready`), i.e. after the view painted its numbers: executing 1 MB of
 * script blocks the page for a few hundred ms on a slow machine, and the numbers matter more.
 * Until then the latest options are kept. Resized with the window; `dispose` also cancels a
 * chart not yet created.
 */
export function createChart(el) {
  let chart = null
  let pending = []
  let disposed = false
  let ready = null
  const onResize = () => chart?.resize()
  const start = () =>
    (ready ??= whenEcharts().then((echarts) => {
      if (disposed) return null
      chart = echarts.init(el, null, { renderer: 'canvas' })
      window.addEventListener('resize', onResize)
      for (const o of pending) chart.setOption(o)
      pending = []
      return chart
    }))
  return {
    get ready() {
      return start()
    },
    get chart() {
      return chart
    },
    setOption(option) {
      if (chart) return chart.setOption(option)
      pending.push(option)
      // After this frame's paint, so the numbers set with this option show first.
      setTimeout(start, 0)
    },
    dispose() {
      disposed = true
      window.removeEventListener('resize', onResize)
      chart?.dispose()
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
      formatter: (ps) =>
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
      axisLabel: { formatter: (v) => i18n.num(v) }
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
