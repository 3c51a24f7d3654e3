// City view: tonnes today against the target, tonnes per hour, the share of sites cleared or
// on track, open alerts by severity; live from the `city` channel (CitySummary).
import { fill, frameThrottle, h } from '../dom.js'
import { createChart, hourlyOption } from './charts.js'

export function mountCity({ i18n, live }, el) {
  const { t } = i18n
  const v = {
    collected: h('div.kpi-value#city-in'),
    target: h('div.kpi-sub#city-target'),
    bar: h('div.progress-bar'),
    out: h('div.kpi-value#city-out'),
    tph: h('div.kpi-value#city-tph'),
    sitesOk: h('div.kpi-value#city-sites-ok'),
    sitesOf: h('div.kpi-sub#city-sites-of'),
    alerts: h('div.sev-counts#city-alerts')
  }
  const chartEl = h('div.chart#city-chart')
  const statusEl = h('div.status-strip#city-status')
  fill(
    el,
    h(
      'div.kpis',
      null,
      h(
        'div.kpi.wide',
        null,
        h('div.kpi-label', null, t('city.collected')),
        v.collected,
        v.target,
        h('div.progress', null, v.bar)
      ),
      h('div.kpi', null, h('div.kpi-label', null, t('city.out')), v.out, h('div.kpi-sub', null, t('unit.t'))),
      h('div.kpi', null, h('div.kpi-label', null, t('city.tph')), v.tph, h('div.kpi-sub', null, t('city.tphUnit'))),
      h('div.kpi', null, h('div.kpi-label', null, t('city.sitesOk')), v.sitesOk, v.sitesOf),
      h('div.kpi', null, h('div.kpi-label', null, t('city.alerts')), v.alerts)
    ),
    h('div.panel', null, h('h2', null, t('city.hourly')), chartEl),
    h('div.panel', null, h('h2', null, t('city.siteStatus')), statusEl)
  )
  const chart = createChart(chartEl)
  let summary = null

  const render = frameThrottle(() => {
    const c = summary
    if (!c) return
    fill(v.collected, `${i18n.num(c.inT)} ${t('unit.t')}`)
    globalThis.performance?.mark?.('qy:city-numbers')
    fill(
      v.target,
      `${t('city.target', { t: i18n.int(c.targetT) })} · ${t('city.ofTarget', { p: i18n.pct(c.targetPct) })}`
    )
    v.bar.style.width = `${Math.min(100, c.targetPct ?? 0)}%`
    fill(v.out, i18n.num(c.outT))
    fill(v.tph, i18n.num(c.tonnesPerHour))
    const ok = c.sites.cleared + c.sites.onTrack
    fill(v.sitesOk, c.sites.total === 0 ? '–' : i18n.pct((100 * ok) / c.sites.total))
    fill(v.sitesOf, t('city.sitesOf', { n: i18n.int(ok), total: i18n.int(c.sites.total) }))
    fill(
      v.alerts,
      ['critical', 'warning', 'info'].map((s) =>
        h(`span.sev.sev-${s}`, { dataset: { sev: s } }, `${t(`sev.${s}`)} ${i18n.int(c.alerts[s])}`)
      )
    )
    const st = c.sites
    const parts = [
      ['cleared', st.cleared],
      ['on-track', st.onTrack],
      ['at-risk', st.atRisk],
      ['will-not-clear', st.willNotClear]
    ]
    fill(
      statusEl,
      parts.map(([k, n]) => h(`span.status-chip.status-${k}`, null, `${t(`status.${k}`)} ${i18n.int(n)}`)),
      st.overCapacity > 0
        ? h('span.status-chip.status-will-not-clear', null, `${t('sites.overCapacity')} ${i18n.int(st.overCapacity)}`)
        : null
    )
    chart.setOption(hourlyOption(i18n, c.hourly))
  })

  const stop = live.subscribe('city', undefined, {
    snapshot: (data) => {
      summary = data
      render()
    },
    delta: (data) => {
      summary = data
      render()
    }
  })
  return {
    unmount() {
      stop()
      chart.dispose()
    }
  }
}
