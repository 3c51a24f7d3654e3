// The shell: sign-in, header (navigation, connection state, language, user), and a hash
// router that mounts one view at a time. Each view subscribes to what it shows and
// unsubscribes when it is left, over the one shared connection.
/* global document, window, sessionStorage, location, fetch, performance */
import { checkToken, createApi } from './api.js'
import { fill, h } from './dom.js'
import { createI18n, saveLocale, savedLocale } from './i18n.js'
import { WS_PATH, createLive } from './live.js'
import { mountAlerts } from './views/alerts.js'
import { mountCity } from './views/city.js'
import { mountHistory } from './views/history.js'
import { mountMap } from './views/map.js'
import { mountSite } from './views/site.js'
import { mountSites } from './views/sites.js'

const TOKEN_KEY = 'qingyun.token'
const VIEWS = ['city', 'sites', 'map', 'alerts', 'history']

const root = document.getElementById('app')
const config = { tz: 'Asia/Shanghai' }
const session = {
  live: null,
  api: null,
  user: null,
  role: 'viewer',
  view: null,
  connState: 'connecting',
  retryInMs: undefined
}
let i18n = createI18n(savedLocale(), config.tz)

function readToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY)
  } catch {
    return null
  }
}

function signOut() {
  try {
    sessionStorage.removeItem(TOKEN_KEY)
  } catch {
    // nothing kept
  }
  session.view?.unmount()
  session.view = null
  session.live?.close()
  session.live = null
  session.api = null
  showSignIn()
}

function showSignIn(error) {
  document.title = i18n.t('app.title')
  const { t } = i18n
  const input = h('input#token', {
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    placeholder: 'qyo_…',
    'aria-label': t('signin.token')
  })
  const message = h('p.signin-error', { role: 'alert' }, error ?? '')
  const form = h(
    'form.signin',
    {
      onsubmit: async (ev) => {
        ev.preventDefault()
        const token = input.value.trim()
        if (!token) return
        fill(message, '')
        try {
          if (!(await checkToken(token))) return void fill(message, t('signin.invalid'))
        } catch (err) {
          return void fill(message, t('signin.error', { msg: err.message }))
        }
        try {
          sessionStorage.setItem(TOKEN_KEY, token)
        } catch {
          // kept in memory for this page only
        }
        start(token)
      }
    },
    h('h1', null, t('app.title')),
    h('label', { for: 'token' }, t('signin.token')),
    input,
    h('button#signin', { type: 'submit' }, t('signin.submit')),
    message,
    h('p.hint', null, t('signin.hint')),
    langButton(() => showSignIn())
  )
  fill(root, h('main.signin-page', null, form))
  input.focus()
}

function langButton(rerender) {
  return h(
    'button.lang#lang',
    {
      type: 'button',
      onclick: () => {
        const next = i18n.locale === 'zh-CN' ? 'en' : 'zh-CN'
        saveLocale(next)
        i18n = createI18n(next, config.tz)
        document.documentElement.lang = next
        rerender()
      }
    },
    i18n.t('lang')
  )
}

function start(token) {
  session.api = createApi(token, () => signOut())
  const proto = location.protocol === 'https:' ? 'wss' : 'ws'
  session.live = createLive({
    url: `${proto}://${location.host}${WS_PATH}`,
    token,
    onState: (s, info) => {
      session.connState = s
      session.retryInMs = info.retryInMs
      renderConn()
    },
    onWelcome: (w) => {
      const roleChanged = session.role !== w.role
      session.user = w.user
      session.role = w.role
      renderUser()
      // Acknowledge buttons depend on the role, known from the welcome.
      if (roleChanged && session.view) route()
    },
    onUnauthorized: () => signOut()
  })
  window.__qingyun = session
  renderShell()
  route()
}

let header = null
let connEl = null
let userEl = null
let mainEl = null

function renderShell() {
  const { t } = i18n
  document.title = t('app.title')
  connEl = h('span.conn#conn')
  userEl = h('span.user#user')
  const nav = h(
    'nav',
    null,
    VIEWS.map((v) => h('a', { href: `#/${v}`, id: `nav-${v}`, dataset: { view: v } }, t(`nav.${v}`)))
  )
  header = h(
    'header.top',
    null,
    h('div.brand', null, t('app.short')),
    nav,
    h(
      'div.right',
      null,
      connEl,
      userEl,
      langButton(() => {
        renderShell()
        route()
      }),
      h('button#signout', { type: 'button', onclick: signOut }, t('signout'))
    )
  )
  mainEl = h('main#view')
  fill(root, header, mainEl)
  renderConn()
  renderUser()
}

function renderConn() {
  if (!connEl) return
  const s = session.connState
  const label =
    s === 'reconnecting' && session.retryInMs !== undefined
      ? i18n.t('conn.reconnecting', { s: Math.max(1, Math.round(session.retryInMs / 1000)) })
      : i18n.t(s === 'closed' ? 'conn.offline' : `conn.${s}`)
  connEl.className = `conn conn-${s}`
  connEl.dataset.state = s
  fill(connEl, label)
}

function renderUser() {
  if (!userEl) return
  fill(userEl, session.user ? `${session.user} · ${i18n.t(`role.${session.role}`)}` : '')
}

function route() {
  if (!session.live || !mainEl) return
  const parts = location.hash.replace(/^#\/?/, '').split('/')
  const name = VIEWS.includes(parts[0]) || parts[0] === 'site' ? parts[0] : 'city'
  session.view?.unmount()
  for (const a of header.querySelectorAll('nav a'))
    a.classList.toggle('active', a.dataset.view === (name === 'site' ? 'sites' : name))
  const ctx = {
    i18n,
    live: session.live,
    api: session.api,
    role: session.role,
    navigate: (hash) => {
      location.hash = hash
    }
  }
  const el = h('section.view', { dataset: { view: name } })
  fill(mainEl, el)
  const mount = {
    city: mountCity,
    sites: mountSites,
    site: mountSite,
    map: mountMap,
    alerts: mountAlerts,
    history: mountHistory
  }[name]
  session.view = mount(ctx, el, decodeURIComponent(parts[1] ?? ''))
}

async function boot() {
  performance.mark('qy:boot')
  try {
    const res = await fetch('/config.json')
    if (res.ok) Object.assign(config, await res.json())
  } catch {
    // defaults
  }
  i18n = createI18n(savedLocale(), config.tz)
  document.documentElement.lang = i18n.locale
  window.addEventListener('hashchange', route)
  const token = readToken()
  if (token) start(token)
  else showSignIn()
}

void boot()
