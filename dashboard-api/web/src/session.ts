// The page's one session: the operator's token, the shared websocket, the REST client, who is
// signed in, the connection state and the language. Created once in main.ts and provided to
// every component (useSession); views subscribe to what they show and unsubscribe when left,
// over the one shared connection.
import { computed, inject, markRaw, reactive, type ComputedRef, type InjectionKey } from 'vue'
import { createApi, type Api } from './api.ts'
import { LOCALES, createI18n, type I18n, type Locale } from './i18n/index.ts'
import { WS_PATH, createLive, type Live, type LiveState } from './live.ts'

const TOKEN_KEY = 'qingyun.token'
// A wall display keeps its credential across reloads and reboots (localStorage), apart from an
// operator's, which lasts for the tab (sessionStorage).
const DISPLAY_KEY = 'qingyun.display'
const LOCALE_KEY = 'qingyun.locale'
export type Role = 'viewer' | 'operator' | 'admin'

/** What the browser tests and bench/web.ts read from the page (window.__qingyun). */
export interface Probe {
  live: Live | null
  /** The mounted view's debug handles (the map sets bins, vehicles, stats). */
  view: { debug?: unknown }
}

export interface SessionState {
  token: string | null
  live: Live | null
  api: Api | null
  user: string | null
  role: Role
  connState: LiveState
  retryInMs: number | undefined
  locale: Locale
  tz: string
  /** Signed in as a wall display (#/wall): no sign-in form; a refused credential is forgotten. */
  display: boolean
  /** The display's credential was refused (revoked): it needs a new one. */
  credentialRefused: boolean
}

export type Session = ReturnType<typeof createSession>
export const SESSION: InjectionKey<Session> = Symbol('session')

function savedLocale(): Locale {
  try {
    const l = localStorage.getItem(LOCALE_KEY)
    return (LOCALES as readonly string[]).includes(l ?? '') ? (l as Locale) : 'zh-CN'
  } catch {
    return 'zh-CN'
  }
}

function saveLocale(locale: Locale): void {
  try {
    localStorage.setItem(LOCALE_KEY, locale)
  } catch {
    // private mode: the choice lasts for this page only
  }
}

function readToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY)
  } catch {
    return null
  }
}

export function createSession(tz: string, probe: Probe) {
  const state = reactive<SessionState>({
    token: null,
    live: null,
    api: null,
    user: null,
    role: 'viewer',
    connState: 'connecting',
    retryInMs: undefined,
    locale: savedLocale(),
    tz,
    display: false,
    credentialRefused: false
  })
  const i18n = computed(() => createI18n(state.locale, state.tz))

  const signOut = (): void => {
    try {
      sessionStorage.removeItem(TOKEN_KEY)
    } catch {
      // nothing kept
    }
    state.live?.close()
    state.live = null
    state.api = null
    state.token = null
    state.user = null
    probe.live = null
  }

  /** The display's credential was refused: forget it and say so on the wall. */
  const refuseDisplay = (): void => {
    try {
      localStorage.removeItem(DISPLAY_KEY)
    } catch {
      // nothing kept
    }
    state.live?.close()
    state.live = null
    state.api = null
    state.token = null
    state.user = null
    state.credentialRefused = true
    probe.live = null
  }

  const start = (token: string, opts: { display?: boolean } = {}): void => {
    const display = opts.display === true
    try {
      if (display) localStorage.setItem(DISPLAY_KEY, token)
      else sessionStorage.setItem(TOKEN_KEY, token)
    } catch {
      // kept in memory for this page only
    }
    state.display = display
    state.credentialRefused = false
    const refused = display ? refuseDisplay : signOut
    const proto = location.protocol === 'https:' ? 'wss' : 'ws'
    state.token = token
    state.connState = 'connecting'
    state.api = markRaw(createApi(token, refused))
    // markRaw: the client's internals are its own; the page reacts to what it reports.
    const live = markRaw(
      createLive({
        url: `${proto}://${location.host}${WS_PATH}`,
        token,
        onState: (s, info) => {
          state.connState = s
          state.retryInMs = info.retryInMs
        },
        onWelcome: (w) => {
          state.user = w.user
          state.role = w.role as Role
        },
        onUnauthorized: refused
      })
    )
    state.live = live
    probe.live = live
  }

  const setLocale = (l: Locale): void => {
    saveLocale(l)
    state.locale = l
    document.documentElement.lang = l
  }

  return { state, i18n, start, signOut, setLocale, probe, resume: readToken, resumeDisplay: readDisplayToken }
}

/**
 * The wall's credential: from the address the display was opened with once
 * (`#/wall?token=qyo_…`: the fragment never reaches the server or its logs), then taken out of
 * the address bar; else the one the display kept.
 */
function readDisplayToken(): string | null {
  const m = /^#\/wall\?(.*)$/.exec(location.hash)
  const fromUrl = m ? new URLSearchParams(m[1]).get('token') : null
  if (fromUrl) {
    history.replaceState(null, '', `${location.pathname}${location.search}#/wall`)
    return fromUrl
  }
  try {
    return localStorage.getItem(DISPLAY_KEY)
  } catch {
    return null
  }
}

export function useSession(): Session {
  const s = inject(SESSION)
  if (!s) throw new Error('useSession outside the app')
  return s
}

export function useI18n(): ComputedRef<I18n> {
  return useSession().i18n
}
