// Alerts: live from the `alerts` channel (open alerts plus those opened or updated today), or a
// past day from GET /api/v1/alerts?day=. Operators acknowledge with POST /alerts/{id}/ack; a
// viewer sees no button (the server refuses them anyway, 403).
import { createCollection } from '../live.js'
import { fill, frameThrottle, h } from '../dom.js'

const SEV_ORDER = { critical: 0, warning: 1, info: 2 }

export function mountAlerts({ i18n, live, api, role }, el) {
  const { t } = i18n
  const canAck = role === 'operator' || role === 'admin'
  const alerts = createCollection((a) => a.id)
  const state = { mode: 'open', day: '' }
  const status = h('p.status-line#alerts-status', { role: 'status' })
  const tbody = h('tbody')
  const dayInput = h('input#alerts-day', {
    type: 'date',
    onchange: () => {
      state.day = dayInput.value
      if (state.mode === 'day') void loadDay()
    }
  })
  const modes = ['open', 'all', 'day'].map((m) =>
    h(
      'button.mode',
      {
        type: 'button',
        id: `alerts-mode-${m}`,
        onclick: () => {
          state.mode = m
          for (const b of modes) b.classList.toggle('active', b.id === `alerts-mode-${m}`)
          if (m === 'day') void loadDay()
          else render()
        }
      },
      t(`alerts.${m}`)
    )
  )
  modes[0].classList.add('active')
  fill(
    el,
    h(
      'div.toolbar',
      null,
      h('h2', null, t('alerts.title')),
      modes,
      dayInput,
      canAck ? null : h('span.muted', null, t('alerts.viewerNote'))
    ),
    status,
    h(
      'div.table-wrap',
      null,
      h(
        'table.data#alerts-table',
        null,
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['col.severity', 'col.alertType', 'col.subject', 'col.message', 'col.opened', 'col.state', 'col.ack'].map(
              (k) => h('th', null, t(k))
            )
          )
        ),
        tbody
      )
    )
  )

  let dayRows = []
  async function loadDay() {
    if (!state.day) return
    fill(status, t('loading'))
    try {
      dayRows = await api.get('/alerts', { day: state.day })
      fill(status, '')
    } catch (err) {
      dayRows = []
      fill(status, t('error', { msg: err.message }))
    }
    render()
  }

  async function ack(a, button) {
    button.disabled = true
    try {
      const updated = await api.post(`/alerts/${encodeURIComponent(a.id)}/ack`)
      // The channel will send the same upsert; applying it now makes the click feel immediate.
      alerts.delta({ items: [updated], removed: [] })
      render()
    } catch (err) {
      button.disabled = false
      fill(status, t('alerts.ackFailed', { msg: err.message }))
    }
  }

  const render = frameThrottle(() => {
    const source =
      state.mode === 'day'
        ? dayRows
        : [...alerts.items.values()].filter((a) => state.mode === 'all' || a.state === 'open')
    const rows = [...source].sort(
      (a, b) =>
        (a.state === b.state ? 0 : a.state === 'open' ? -1 : 1) ||
        SEV_ORDER[a.severity] - SEV_ORDER[b.severity] ||
        b.openedAt - a.openedAt
    )
    if (rows.length === 0) return void fill(tbody, h('tr', null, h('td.muted', { colSpan: 7 }, t('alerts.none'))))
    fill(
      tbody,
      rows.map((a) =>
        h(
          `tr.alert.sev-row-${a.severity}${a.state === 'resolved' ? '.resolved' : ''}`,
          { dataset: { alert: a.id, type: a.type, subject: a.subject.id } },
          h('td', null, h(`span.sev.sev-${a.severity}`, null, t(`sev.${a.severity}`))),
          h('td', null, t(`atype.${a.type}`)),
          h('td', null, a.subject.id),
          h('td.message', null, a.message),
          h('td', null, i18n.dateTime(a.openedAt)),
          h('td', null, t(`state.${a.state}`)),
          h(
            'td',
            null,
            a.acknowledgedAt !== null
              ? h('span.acked', null, t('alerts.acked', { who: a.acknowledgedBy ?? '?' }))
              : canAck && state.mode !== 'day'
                ? h('button.ack', { type: 'button', onclick: (ev) => ack(a, ev.currentTarget) }, t('alerts.ack'))
                : '–'
          )
        )
      )
    )
  })

  const stop = live.subscribe('alerts', undefined, {
    snapshot: (d) => {
      alerts.snapshot(d)
      render()
    },
    delta: (d) => {
      alerts.delta(d)
      render()
    }
  })
  render()
  return { unmount: stop }
}
