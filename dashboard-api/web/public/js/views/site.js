// One site: its balance and hourly chart, live from the `site` channel, and today's weighing
// tickets from GET /api/v1/sites/{id}/tickets, re-read when the ticket counts change.
import { fill, frameThrottle, h } from '../dom.js'
import { createChart, hourlyOption } from './charts.js'

export function mountSite({ i18n, live, api }, el, siteId) {
  const { t } = i18n
  const title = h('h2#site-name', null, siteId)
  const meta = h('div.muted#site-meta')
  const kpis = h('div.kpis#site-kpis')
  const chartEl = h('div.chart#site-chart')
  const tickets = h('div#site-tickets')
  const ticketRows = h('div.table-wrap#site-ticket-list')
  let ticketCount = -1
  let listed = []
  const loadTickets = async () => {
    try {
      listed = await api.get(`/sites/${encodeURIComponent(siteId)}/tickets`, { limit: 50 })
    } catch {
      listed = []
    }
    fill(
      ticketRows,
      listed.length === 0
        ? null
        : h(
            'table.data',
            null,
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ...['site.ticketTime', 'site.direction', 'site.stream', 'site.net', 'site.plate', 'site.ticketId'].map(
                  (k) => h('th', null, t(k))
                )
              )
            ),
            h(
              'tbody',
              null,
              ...listed.map((k) =>
                h(
                  'tr',
                  null,
                  h('td', null, i18n.time(k.ts)),
                  h('td', null, t(`site.dir.${k.direction}`)),
                  h('td', null, k.material ? `${t(`stream.${k.stream}`)} · ${k.material}` : t(`stream.${k.stream}`)),
                  h('td.num', null, i18n.num(k.netKg / 1000)),
                  h('td', null, k.plate),
                  h('td', null, k.ticketId)
                )
              )
            )
          )
    )
  }
  fill(
    el,
    h('a.back', { href: '#/sites' }, t('site.back')),
    h('div.toolbar', null, title, meta),
    kpis,
    h('div.panel', null, h('h2', null, t('site.hourly')), chartEl),
    h(
      'div.panel',
      null,
      h('h2', null, t('site.tickets')),
      tickets,
      ticketRows,
      h('p.muted.note', null, t('site.ticketsNote'))
    )
  )
  const chart = createChart(chartEl)
  let data = null

  const kpi = (label, value, sub, cls = '') =>
    h(
      `div.kpi${cls}`,
      null,
      h('div.kpi-label', null, label),
      h('div.kpi-value', null, value),
      sub ? h('div.kpi-sub', null, sub) : null
    )

  const render = frameThrottle(() => {
    const b = data?.balance
    if (!b) {
      fill(kpis, h('p.muted', null, data ? t('site.notFound') : t('loading')))
      return
    }
    fill(title, b.name)
    fill(
      meta,
      `${i18n.district(b.district)} · ${t(`type.${b.type}`)} · ${t('site.capacity', { t: i18n.int(b.capacityTpd) })} · ${t('site.tolerance', { t: i18n.num(b.toleranceT), cutoff: b.cutoff })}`
    )
    const unit = t('unit.t')
    fill(
      kpis,
      kpi(t('col.in'), i18n.num(b.inT), null, '#site-in'),
      kpi(t('col.out'), i18n.num(b.outT)),
      kpi(t('site.opening'), i18n.num(b.openingT)),
      kpi(t('col.stock'), i18n.num(b.stockT)),
      kpi(t('col.clearance'), i18n.pct(b.clearancePct)),
      kpi(t('col.capacity'), i18n.pct(b.capacityPct)),
      h(
        'div.kpi',
        null,
        h('div.kpi-label', null, t('col.status')),
        h(`span.status-chip.status-${b.projection.status}`, null, t(`status.${b.projection.status}`)),
        h('div.kpi-sub', null, `${t('col.projection')} ${i18n.num(b.projection.projectedStockT)} ${unit}`)
      )
    )
    fill(
      tickets,
      b.ticketsIn + b.ticketsOut === 0
        ? h('p', null, t('site.noTickets'))
        : [
            h('p.big', null, t('site.ticketsInOut', { in: i18n.int(b.ticketsIn), out: i18n.int(b.ticketsOut) })),
            h('p', null, t('site.lastTicket', { time: i18n.time(b.lastTicketAt) }))
          ]
    )
    chart.setOption(hourlyOption(i18n, data.hourly))
    if (b.ticketsIn + b.ticketsOut !== ticketCount) {
      ticketCount = b.ticketsIn + b.ticketsOut
      void loadTickets()
    }
  })

  const stop = live.subscribe(
    'site',
    { siteId },
    {
      snapshot: (d) => {
        data = d
        render()
      },
      delta: (d) => {
        data = d
        render()
      },
      error: (msg) => {
        if (msg.code === 'WS_E_NOT_FOUND') {
          data = { balance: null, hourly: [] }
          render()
        }
      }
    }
  )
  render()
  return {
    unmount() {
      stop()
      chart.dispose()
    }
  }
}
