// The page's entry: read the city's settings, create the session, mount the app. Everything
// the page shows comes from /api/v1 with the operator's bearer token.
import { createApp } from 'vue'
import App from './App.vue'
import './app.css'
import { createAppRouter } from './router.ts'
import { SESSION, createSession, type Probe } from './session.ts'

async function boot(): Promise<void> {
  performance.mark('qy:boot')
  let tz = 'Asia/Shanghai'
  try {
    const res = await fetch('/config.json')
    if (res.ok) tz = ((await res.json()) as { tz?: string }).tz ?? tz
  } catch {
    // defaults
  }
  const probe: Probe = { live: null, view: {} }
  ;(window as unknown as { __qingyun: Probe }).__qingyun = probe
  const session = createSession(tz, probe)
  document.documentElement.lang = session.state.locale
  // #/wall is the big screen's: its own credential, kept across reloads (session.ts).
  if (location.hash.startsWith('#/wall')) {
    const token = session.resumeDisplay()
    if (token) session.start(token, { display: true })
    else session.state.display = true
  } else {
    const token = session.resume()
    if (token) session.start(token)
  }
  createApp(App).provide(SESSION, session).use(createAppRouter()).mount('#app')
}

void boot()
