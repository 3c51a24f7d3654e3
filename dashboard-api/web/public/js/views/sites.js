// Sites: every transfer station and sorting centre, sortable by any column and filterable by
// district and type; live from the `sites` channel (SiteBalance upserts by siteId).
import { createCollection } from '../live.js'
import { fill, frameThrottle, h } from '../dom.js'

const COLUMNS = [
  { key: 'name', label: 'col.name', value: (s) => s.name },
  { key: 'district', label: 'col.district', value: (s) => s.district },
  { key: 'type', label: 'col.type', value: (s) => s.type },
  { key: 'inT', label: 'col.in', value: (s) => s.inT, num: true },
  { key: 'outT', label: 'col.out', value: (s) => s.outT, num: true },
  { key: 'stockT', label: 'col.stock', value: (s) => s.stockT, num: true },
  { key: 'clearancePct', label: 'col.clearance', value: (s) => s.clearancePct, num: true },
  { key: 'capacityPct', label: 'col.capacity', value: (s) => s.capacityPct, num: true },
  {
    key: 'status',
    label: 'col.status',
    value: (s) => ['will-not-clear', 'at-risk', 'on-track', 'cleared'].indexOf(s.projection.status)
  },
  { key: 'projection', label: 'col.projection', value: (s) => s.projection.projectedStockT, num: true }
]

export function mountSites({ i18n, live, navigate }, el) {
  const { t } = i18n
  const sites = createCollection((s) => s.siteId)
  const state = { sort: 'name', dir: 1, district: '', type: '' }
  const districtSel = h('select#filter-district', {
    onchange: () => {
      state.district = districtSel.value
      render()
    }
  })
  const typeSel = h(
    'select#filter-type',
    {
      onchange: () => {
        state.type = typeSel.value
        render()
      }
    },
    h('option', { value: '' }, t('sites.allTypes')),
    h('option', { value: 'transfer' }, t('type.transfer')),
    h('option', { value: 'sorting' }, t('type.sorting'))
  )
  const count = h('span.muted#sites-count')
  const thead = h('thead')
  const tbody = h('tbody')
  fill(
    el,
    h(
      'div.toolbar',
      null,
      h('h2', null, t('sites.title')),
      h('label', null, t('sites.district'), ' ', districtSel),
      h('label', null, t('sites.type'), ' ', typeSel),
      count
    ),
    h('div.table-wrap', null, h('table.data#sites-table', null, thead, tbody))
  )

  const renderHead = () =>
    fill(
      thead,
      h(
        'tr',
        null,
        COLUMNS.map((c) =>
          h(
            `th${c.num ? '.num' : ''}`,
            {
              class: state.sort === c.key ? (state.dir > 0 ? 'sorted asc' : 'sorted desc') : '',
              dataset: { col: c.key },
              onclick: () => {
                state.dir = state.sort === c.key ? -state.dir : 1
                state.sort = c.key
                renderHead()
                render()
              }
            },
            t(c.label)
          )
        )
      )
    )
  renderHead()

  let districts = ''
  const renderDistricts = () => {
    const list = [...new Set([...sites.items.values()].map((s) => s.district))].sort()
    const key = list.join('|')
    if (key === districts) return
    districts = key
    fill(
      districtSel,
      h('option', { value: '' }, t('sites.allDistricts')),
      list.map((d) => h('option', { value: d, selected: d === state.district }, i18n.district(d)))
    )
  }

  const render = frameThrottle(() => {
    renderDistricts()
    const col = COLUMNS.find((c) => c.key === state.sort) ?? COLUMNS[0]
    const rows = [...sites.items.values()]
      .filter((s) => (!state.district || s.district === state.district) && (!state.type || s.type === state.type))
      .sort((a, b) => {
        const x = col.value(a)
        const y = col.value(b)
        if (x === y) return a.name.localeCompare(b.name, 'zh-CN')
        if (x === null) return 1
        if (y === null) return -1
        return (typeof x === 'string' ? x.localeCompare(y, 'zh-CN') : x - y) * state.dir
      })
    fill(count, t('sites.count', { n: i18n.int(rows.length) }))
    fill(
      tbody,
      rows.map((s) =>
        h(
          'tr',
          { dataset: { site: s.siteId }, onclick: () => navigate(`#/site/${encodeURIComponent(s.siteId)}`) },
          h('td', null, h('a', { href: `#/site/${encodeURIComponent(s.siteId)}` }, s.name)),
          h('td', null, i18n.district(s.district)),
          h('td', null, t(`type.${s.type}`)),
          h('td.num', { dataset: { field: 'inT' } }, i18n.num(s.inT)),
          h('td.num', { dataset: { field: 'outT' } }, i18n.num(s.outT)),
          h('td.num', null, i18n.num(s.stockT)),
          h('td.num', null, i18n.pct(s.clearancePct)),
          h(`td.num${s.capacityPct !== null && s.capacityPct > 100 ? '.over' : ''}`, null, i18n.pct(s.capacityPct)),
          h('td', null, h(`span.status-chip.status-${s.projection.status}`, null, t(`status.${s.projection.status}`))),
          h(
            'td.num',
            null,
            `${i18n.num(s.projection.projectedStockT)} ${t('unit.t')}`,
            s.projection.overCapacity ? h('span.tag.over', null, t('sites.overCapacity')) : null
          )
        )
      )
    )
  })

  const stop = live.subscribe('sites', undefined, {
    snapshot: (d) => {
      sites.snapshot(d)
      render()
    },
    delta: (d) => {
      sites.delta(d)
      render()
    }
  })
  return { unmount: stop }
}
