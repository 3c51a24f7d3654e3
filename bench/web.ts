// The operations web page under load (docs/conventions.md, rule 14): the page served by the real
// dashboard-api pieces (registerApi, registerWs, registerWeb) over a synthetic city that keeps
// changing (bench/web/cityModel.ts: 48 sites, 2,400 bins, 320 trucks), driven in Debian's
// chromium. Prints a table and writes bench-output/web.json.
//
//   node --import tsx bench/web.ts                    # measure
//   node --import tsx bench/web.ts --serve --port 8080  # just serve it (prints an operator token)
//
// Measured: cold and warm page load (navigation timing, bytes on the wire), time to the first
// live numbers, and on the map with every bin and truck subscribed, the rate of deltas applied,
// frames per second and long tasks while the city changes every --step-ms.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import Fastify, { type FastifyBaseLogger } from 'fastify'
import { pino } from 'pino'
import { chromium, type Page } from 'playwright-core'
import { SAMPLE_REGISTRY } from '../node/system.ts'
import { createUserStore } from '../dashboard-api/auth/users.ts'
import { registerApi } from '../dashboard-api/routes/index.ts'
import { registerWeb } from '../dashboard-api/web/plugin.ts'
import { registerWs } from '../dashboard-api/ws/index.ts'
import { loadRegistry } from '../registry/load.ts'
import { createRegistryStore } from '../registry/store.ts'
import { createCityModel } from './web/cityModel.ts'

const { values } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    port: { type: 'string', default: '0' },
    seconds: { type: 'string', default: '10' },
    'step-ms': { type: 'string', default: '250' },
    out: { type: 'string', default: 'bench-output' }
  }
})

const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]

const log = pino({ level: 'warn' })
const dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-bench-web-'))
const registryPath = path.join(dir, 'registry.json')
await copyFile(SAMPLE_REGISTRY, registryPath)
const registryData = await loadRegistry(registryPath)
const registry = await createRegistryStore({ path: registryPath, log, watch: false })
const users = await createUserStore({ path: path.join(dir, 'users.json'), log, watch: false })
const token = await users.add('bench', 'operator')
const model = createCityModel(registryData)
for (let i = 0; i < 40; i++) model.step()

const app = Fastify({ loggerInstance: log as FastifyBaseLogger })
await registerApi(app, { model, authenticator: users, registryPath, registry, log })
await registerWs(app, { model, authenticator: users, log })
await registerWeb(app, { tz: registryData.city.tz })
await app.listen({ host: '127.0.0.1', port: Number(values.port) })
const address = app.server.address()
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : values.port}/`
const stepMs = Number(values['step-ms'])
const ticker = setInterval(() => model.step(), stepMs)

const cleanup = async (): Promise<void> => {
  clearInterval(ticker)
  await app.close()
  await registry.close()
  await users.close()
  await rm(dir, { recursive: true, force: true })
}

if (values.serve) {
  console.log(`serving ${url} (synthetic city, a step every ${stepMs} ms)\noperator token: ${token}`)
  process.on('SIGINT', () => void cleanup().then(() => process.exit(0)))
} else {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`)
  // launch() gives the browser a fresh temporary profile of its own and removes it on close.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  const rows: Array<{ name: string; value: number; unit: string; note?: string }> = []
  try {
    const newPage = async (): Promise<{ page: Page; bytes: () => number; reset: () => void }> => {
      const context = await browser.newContext({ viewport: { width: 1600, height: 900 } })
      await context.addInitScript((t) => sessionStorage.setItem('qingyun.token', t), token)
      // tsx compiles with keepNames: functions passed to page.evaluate refer to its __name helper.
      await context.addInitScript('globalThis.__name = (f) => f')
      const page = await context.newPage()
      let bytes = 0
      page.on(
        'response',
        (r) =>
          void r
            .request()
            .sizes()
            .then((s) => {
              bytes += s.responseBodySize + s.responseHeadersSize
            })
            .catch(() => undefined)
      )
      return {
        page,
        bytes: () => bytes,
        reset: () => {
          bytes = 0
        }
      }
    }

    const load = async (label: string, p: { page: Page; bytes: () => number; reset: () => void }): Promise<void> => {
      const { page } = p
      p.reset()
      const t0 = Date.now()
      await page.goto(url, { waitUntil: 'load' })
      await page.waitForFunction(() => /\d/.test(document.querySelector('#city-in')?.textContent ?? ''))
      const firstNumbers = Date.now() - t0
      await page.waitForFunction(() => document.querySelector('#city-chart canvas') !== null)
      const nav = await page.evaluate(() => {
        const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming
        const m = (name: string): number => performance.getEntriesByName(name)[0]?.startTime ?? NaN
        return {
          dcl: n.domContentLoadedEventEnd,
          load: n.loadEventEnd,
          boot: m('qy:boot'),
          wsOpen: m('qy:ws-open'),
          welcome: m('qy:welcome'),
          snapshot: m('qy:snapshot:city'),
          numbers: m('qy:city-numbers')
        }
      })
      rows.push({ name: `${label}: DOMContentLoaded`, value: Math.round(nav.dcl), unit: 'ms' })
      rows.push({
        name: `${label}: first live numbers`,
        value: Math.round(nav.numbers),
        unit: 'ms',
        note: `navigation start → city numbers painted (boot ${Math.round(nav.boot)}, ws open ${Math.round(nav.wsOpen)}, welcome ${Math.round(nav.welcome)}, snapshot ${Math.round(nav.snapshot)})`
      })
      rows.push({
        name: `${label}: goto → numbers (driver)`,
        value: firstNumbers,
        unit: 'ms',
        note: 'as seen by the test driver, including its own round trips'
      })
      rows.push({
        name: `${label}: bytes on the wire`,
        value: p.bytes(),
        unit: 'B',
        note: 'bodies as transferred (gzip) + headers'
      })
    }
    // The very first page of a just-started browser pays for its processes starting; a new
    // context is a first visit (empty cache) to a running browser; a reload is a repeat visit.
    await load('browser start', await newPage())
    const fresh = await newPage()
    await load('first visit', fresh)
    await load('repeat visit', fresh)
    const { page } = fresh

    await page.goto(`${url}#/map`)
    await page.waitForFunction(() => {
      const v = (
        window as unknown as {
          __qingyun: {
            view: { debug?: { bins: { items: Map<string, unknown> }; vehicles: { items: Map<string, unknown> } } }
          }
        }
      ).__qingyun.view
      return (v.debug?.bins.items.size ?? 0) > 0 && (v.debug?.vehicles.items.size ?? 0) > 0
    })
    const seconds = Number(values.seconds)
    const measured = await page.evaluate(async (ms) => {
      const s = (
        window as unknown as {
          __qingyun: {
            live: { stats(): Record<string, number> }
            view: { debug: { bins: { items: Map<string, unknown> }; vehicles: { items: Map<string, unknown> } } }
          }
        }
      ).__qingyun
      const longTasks: number[] = []
      const obs = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) longTasks.push(e.duration)
      })
      obs.observe({ type: 'longtask', buffered: false })
      const before = s.live.stats()
      let frames = 0
      let worst = 0
      let last = performance.now()
      const t0 = last
      await new Promise<void>((resolve) => {
        const tick = (now: number): void => {
          frames++
          worst = Math.max(worst, now - last)
          last = now
          if (now - t0 < ms) requestAnimationFrame(tick)
          else resolve()
        }
        requestAnimationFrame(tick)
      })
      obs.disconnect()
      const after = s.live.stats()
      const elapsed = (performance.now() - t0) / 1000
      return {
        bins: s.view.debug.bins.items.size,
        trucks: s.view.debug.vehicles.items.size,
        deltasPerS: (after.deltas! - before.deltas!) / elapsed,
        messagesPerS: (after.messages! - before.messages!) / elapsed,
        fps: frames / elapsed,
        worstFrameMs: worst,
        longTasks: longTasks.length,
        longTaskMs: longTasks.reduce((a, b) => a + b, 0),
        renders: (s.view.debug as unknown as { stats: { renders: number; renderMs: number } }).stats
      }
    }, seconds * 1000)
    rows.push({
      name: 'map: bins / trucks shown',
      value: measured.bins,
      unit: 'bins',
      note: `${measured.trucks} trucks`
    })
    rows.push({
      name: 'map: deltas applied',
      value: Math.round(measured.deltasPerS * 10) / 10,
      unit: '/s',
      note: `model step every ${stepMs} ms moves every truck and ~200 bins; ws flush 250 ms`
    })
    rows.push({
      name: 'map: mean repaint (canvas)',
      value: Math.round((measured.renders.renderMs / Math.max(1, measured.renders.renders)) * 10) / 10,
      unit: 'ms',
      note: `${measured.renders.renders} renders since the map opened`
    })
    rows.push({
      name: 'map: frames',
      value: Math.round(measured.fps * 10) / 10,
      unit: 'fps',
      note: 'headless, --disable-gpu (software canvas)'
    })
    rows.push({ name: 'map: worst frame gap', value: Math.round(measured.worstFrameMs), unit: 'ms' })
    rows.push({
      name: 'map: long tasks (>50 ms)',
      value: measured.longTasks,
      unit: 'count',
      note: `${Math.round(measured.longTaskMs)} ms in ${seconds} s`
    })
  } finally {
    await browser.close()
    await cleanup()
  }
  const w = Math.max(...rows.map((r) => r.name.length))
  for (const r of rows)
    console.log(`${r.name.padEnd(w)}  ${String(r.value).padStart(9)} ${r.unit.padEnd(5)} ${r.note ?? ''}`)
  await mkdir(values.out, { recursive: true })
  await writeFile(
    path.join(values.out, 'web.json'),
    `${JSON.stringify({ at: new Date().toISOString(), cpus: os.cpus().length, rows }, null, 2)}\n`
  )
}
