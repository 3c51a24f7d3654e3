// History: daily balances per site over a date range (GET /api/v1/history), shown as a table,
// with the same range downloadable as CSV (format=csv, fetched with the bearer token).
import { fill, h } from '../dom.js'

const isoDay = (ms, tz) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms)

export function mountHistory({ i18n, api }, el) {
  const { t } = i18n
  const today = isoDay(Date.now(), i18n.tz)
  const from = h('input#history-from', {
    type: 'date',
    value: isoDay(Date.now() - 6 * 86_400_000, i18n.tz),
    max: today
  })
  const to = h('input#history-to', { type: 'date', value: today, max: today })
  const site = h('select#history-site', null, h('option', { value: '' }, t('history.allSites')))
  const status = h('p.status-line#history-status', { role: 'status' })
  const tbody = h('tbody')
  const names = new Map()
  const query = (format) => ({ from: from.value, to: to.value, siteId: site.value || undefined, format })

  async function load() {
    fill(status, t('loading'))
    try {
      const rows = await api.get('/history', query('json'))
      fill(status, rows.length === 0 ? t('history.none') : t('history.rows', { n: i18n.int(rows.length) }))
      fill(
        tbody,
        rows.map((r) =>
          h(
            'tr',
            null,
            h('td', null, r.day),
            h('td', null, names.get(r.siteId) ?? r.siteId),
            h('td.num', null, i18n.num(r.openingT)),
            h('td.num', null, i18n.num(r.inT)),
            h('td.num', null, i18n.num(r.outT)),
            h('td.num', null, i18n.num(r.stockT)),
            h('td.num', null, i18n.pct(r.clearancePct)),
            h('td.num', null, i18n.pct(r.capacityPct)),
            h(
              'td',
              null,
              h(
                `span.status-chip.status-${r.cleared ? 'cleared' : 'will-not-clear'}`,
                null,
                t(r.cleared ? 'yes' : 'no')
              )
            )
          )
        )
      )
    } catch (err) {
      fill(status, t('error', { msg: err.message }))
    }
  }

  async function download() {
    try {
      const name = await api.download('/history', query('csv'), `qingyun-history-${from.value}-${to.value}.csv`)
      fill(status, name)
    } catch (err) {
      fill(status, t('error', { msg: err.message }))
    }
  }

  fill(
    el,
    h(
      'div.toolbar',
      null,
      h('h2', null, t('history.title')),
      h('label', null, t('history.from'), ' ', from),
      h('label', null, t('history.to'), ' ', to),
      h('label', null, t('history.site'), ' ', site),
      h('button#history-load', { type: 'button', onclick: load }, t('history.load')),
      h('button#history-csv', { type: 'button', onclick: download }, t('history.csv'))
    ),
    status,
    h(
      'div.table-wrap',
      null,
      h(
        'table.data#history-table',
        null,
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            [
              'col.day',
              'col.name',
              'col.opening',
              'col.in',
              'col.out',
              'col.stock',
              'col.clearance',
              'col.capacity',
              'col.cleared'
            ].map((k) => h(`th${k === 'col.day' || k === 'col.name' || k === 'col.cleared' ? '' : '.num'}`, null, t(k)))
          )
        ),
        tbody
      )
    )
  )

  api
    .get('/sites')
    .then((sites) => {
      for (const s of sites) names.set(s.siteId, s.name)
      site.append(...sites.map((s) => h('option', { value: s.siteId }, s.name)))
    })
    .catch(() => undefined)
    .finally(load)
  return { unmount() {} }
}
