import { readFile } from 'node:fs/promises'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deviceTopic } from '../../contracts/topics.ts'
import { CONTENT_SECURITY_POLICY } from '../../dashboard-api/web/plugin.ts'
import { withSystem } from '../harness/system.ts'
import { WAIT, attr, contains, count, exact, launchBrowser, openPage, shot, signIn, text, until } from './webBrowser.ts'

// The operations web page in a real browser — Debian's chromium driven by
// playwright-core, never a downloaded one — against the whole node as `qingyun start` builds
// it (real broker, ingest, InfluxDB, model, REST and websocket). Devices publish over real
// MQTT; the test waits for what it expects to appear (vitest's timeout is the only clock; no
// timed assertions — load time and update rates are measured by bench/web.ts).
// Screenshots go to test-output/screenshots/.

// In the page (functions passed to waitForFunction run there).
declare const window: {
  __qingyun: {
    view: { debug: { vehicles: { items: Map<string, { lon: number }> } } }
    live: { stats(): Record<string, number> }
  }
}

let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
})

const ticket = (ticketId: string, netKg: number, direction: 'in' | 'out' = 'in') => ({
  ts: new Date(Date.now() - 30_000).toISOString(),
  ticketId,
  direction,
  stream: 'residual',
  grossKg: 10_000 + netKg,
  tareKg: 10_000,
  netKg,
  plate: '苏B12345'
})

describe('the operations web page in chromium', () => {
  it(
    'signs in, shows live numbers, acknowledges an alert, switches language, shows the map, downloads CSV, resumes after a drop',
    { timeout: 240_000 },
    async () => {
      const t = await withSystem()
      const operator = await t.token('operator')
      const { page, problems } = await openPage(browser, t)

      // ── the page is served self-only, with sensible caching ──
      const index = await page.request.get(`${t.httpUrl}/`)
      expect(index.headers()['content-security-policy']).toBe(CONTENT_SECURITY_POLICY)
      expect(index.headers()['cache-control']).toBe('no-cache')
      // Vite's hashed bundles (the entry named by index.html) are cached for good.
      const entry = /<script type="module"[^>]* src="(\/assets\/[^"]+\.js)"/.exec(await index.text())?.[1]
      expect(entry).toBeDefined()
      const bundle = await page.request.get(`${t.httpUrl}${entry}`)
      expect(bundle.status()).toBe(200)
      expect(bundle.headers()['cache-control']).toBe('public, max-age=31536000, immutable')
      // No inline script or style in the built page (the CSP would refuse them).
      expect(await index.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=/)
      const outlines = await page.request.get(`${t.httpUrl}/data/wuxi-districts.json`)
      expect(((await outlines.json()) as { features: unknown[] }).features).toHaveLength(8)

      // ── sign-in: Chinese by default; a wrong token is refused ──
      await attr(page, 'html', 'lang', 'zh-CN')
      await page.locator('#signin').waitFor(WAIT)
      await shot(page, '01-signin-zh')
      await page.locator('#token').fill('qyo_not-a-real-token')
      await page.locator('#signin').click()
      await text(page, '.signin-error', exact('令牌无效或已停用'))
      // The browser logs that refused check (401) as a console error; it was meant to fail.
      problems.length = 0
      await signIn(page, operator)
      expect(await page.evaluate("sessionStorage.getItem('qingyun.token')")).toBe(operator)
      await contains(page, '#user', '操作员')

      // ── city: numbers change as weighing tickets arrive over real MQTT ──
      await text(page, '#city-in', /^0\s*吨$/)
      const wb1 = await t.device('wb-1')
      await wb1.publishAsync(deviceTopic('wb-1', 'weighing'), JSON.stringify(ticket('T-web-1', 8_120)), { qos: 1 })
      await text(page, '#city-in', /^8\.1\s*吨$/)
      await wb1.publishAsync(
        deviceTopic('wb-1', 'weighing'),
        JSON.stringify([ticket('T-web-2', 4_000), ticket('T-web-3', 2_500, 'out')]),
        { qos: 1 }
      )
      await text(page, '#city-in', /^12\.1\s*吨$/)
      await text(page, '#city-out', exact('2.5'))
      await page.locator('#city-chart canvas').first().waitFor(WAIT)
      await shot(page, '02-city-zh')

      // ── sites: the table, sorted and filtered; the site page with its tickets ──
      await page.locator('#nav-sites').click()
      const ts1 = '#sites-table tr[data-site="ts-1"]'
      await text(page, `${ts1} td[data-field="inT"]`, exact('12.1'))
      await text(page, `${ts1} td[data-field="outT"]`, exact('2.5'))
      await count(page, '#sites-table tbody tr', 2)
      await page.locator('#filter-district').selectOption('新吴')
      await count(page, '#sites-table tbody tr', 1)
      await attr(page, '#sites-table tbody tr', 'data-site', 'sc-1')
      await page.locator('#filter-district').selectOption('')
      await count(page, '#sites-table tbody tr', 2)
      // Sorted by inbound tonnes, descending (the second click reverses).
      await page.locator('#sites-table th[data-col="inT"]').click()
      await page.locator('#sites-table th[data-col="inT"]').click()
      await attr(page, '#sites-table tbody tr', 'data-site', 'ts-1')
      await attr(page, '#sites-table tbody tr:last-child', 'data-site', 'sc-1')
      await shot(page, '03-sites-zh')
      await page.locator(`${ts1} a`).click()
      await text(page, '#site-name', exact('梁溪区测试转运站'))
      await contains(page, '#site-tickets', '进场 2 单 · 出场 1 单')
      // Each ticket, newest first, from GET /api/v1/sites/{id}/tickets.
      await count(page, '#site-ticket-list tbody tr', 3)
      await contains(page, '#site-ticket-list', 'T-web-3')
      await contains(page, '#site-ticket-list', '出场')
      await page.locator('#site-chart canvas').first().waitFor(WAIT)
      await shot(page, '04-site-zh')

      // ── alerts: a bin reading ≥ 100 % opens bin-overflow; the operator acknowledges it ──
      const fill1 = await t.device('fill-1')
      await fill1.publishAsync(
        deviceTopic('fill-1', 'fill'),
        JSON.stringify({ ts: new Date(Date.now() - 5_000).toISOString(), fillPct: 105 }),
        { qos: 1 }
      )
      await page.locator('#nav-alerts').click()
      const overflow = '#alerts-table tr[data-type="bin-overflow"][data-subject="bin-1"]'
      await page.locator(overflow).waitFor(WAIT)
      await contains(page, overflow, '垃圾桶满溢')
      await shot(page, '05-alerts-open-zh')
      await page.locator(`${overflow} button.ack`).click()
      await contains(page, `${overflow} .acked`, '已确认')
      const id = await page.locator(overflow).getAttribute('data-alert')
      const listed = await t.api<Array<{ id: string; acknowledgedBy: string | null }>>('/api/v1/alerts', operator)
      expect(listed.body.find((a) => a.id === id)?.acknowledgedBy).toMatch(/^test-operator-/)
      await shot(page, '06-alerts-acked-zh')

      // ── English, numbers formatted per locale ──
      await page.locator('#lang').click()
      await text(page, '#nav-alerts', exact('Alerts'))
      await attr(page, 'html', 'lang', 'en')
      await contains(page, `${overflow} .acked`, 'acknowledged by')
      await page.locator('#nav-city').click()
      await text(page, '#city-in', /^12\.1\s*t$/)
      await contains(page, '#city-target', 'target 5,300 t')
      await shot(page, '07-city-en')

      // ── map: outlines, the bin by fill, trucks moving live ──
      const gps1 = await t.device('gps-1')
      const gps2 = await t.device('gps-2')
      const fix = (lat: number, lon: number, headingDeg: number) =>
        JSON.stringify({
          ts: new Date(Date.now() - 2_000).toISOString(),
          lat,
          lon,
          speedKmh: 25,
          headingDeg,
          ignition: true
        })
      await gps1.publishAsync(deviceTopic('gps-1', 'position'), fix(31.575, 120.305, 90), { qos: 1 })
      await gps2.publishAsync(deviceTopic('gps-2', 'position'), fix(31.52, 120.28, 180), { qos: 1 })
      await page.locator('#nav-map').click()
      // One bin and two trucks painted on the canvas over the district outlines.
      await page.locator('#map[data-painted="3"]').waitFor(WAIT)
      await contains(page, '#map-counts', '1 bins · 2 trucks')
      const veh1 = "window.__qingyun.view.debug.vehicles.items.get('veh-1')"
      const before = await page.evaluate(`${veh1}?.lon`)
      expect(before).toBeCloseTo(120.305, 5)
      await gps1.publishAsync(deviceTopic('gps-1', 'position'), fix(31.575, 120.32, 90), { qos: 1 })
      await until(
        page,
        (lon) => Math.abs((window.__qingyun.view.debug.vehicles.items.get('veh-1')?.lon ?? 0) - lon) < 1e-6,
        120.32
      )
      await contains(page, '#map-attribution', 'AMap')
      await shot(page, '08-map-en')

      // ── history: daily balances and a CSV download through fetch + Blob with the token ──
      await page.locator('#nav-history').click()
      await contains(page, '#history-status', 'rows')
      await page.locator('#history-table tbody tr').first().waitFor(WAIT)
      const [download] = await Promise.all([page.waitForEvent('download', WAIT), page.locator('#history-csv').click()])
      expect(download.suggestedFilename()).toMatch(/^qingyun-history-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/)
      const csv = await readFile((await download.path())!, 'utf8')
      // A BOM so that Excel reads UTF-8; the site's name beside its id.
      expect(csv.split(/\r?\n/)[0]).toBe(
        '\ufeffday,siteId,siteName,inT,outT,openingT,stockT,clearancePct,capacityPct,cleared'
      )
      expect(csv).toMatch(/ts-1,[^,]*,12\.12,2\.5,/)
      await shot(page, '09-history-en')

      // ── the connection drops: the page reconnects by itself, resumes, and keeps counting ──
      await page.locator('#nav-city').click()
      await text(page, '#city-in', /^12\.1\s*t$/)
      type Stats = Record<'reconnects' | 'resumed' | 'snapshots' | 'gaps', number>
      const stats = (): Promise<Stats> => page.evaluate('window.__qingyun.live.stats()') as Promise<Stats>
      const statsBefore = await stats()
      await page.evaluate('window.__qingyun.live.drop()')
      await until(page, (n) => (window.__qingyun.live.stats().reconnects ?? 0) > n, statsBefore.reconnects)
      await page.locator('#conn[data-state="open"]').waitFor(WAIT)
      await wb1.publishAsync(deviceTopic('wb-1', 'weighing'), JSON.stringify(ticket('T-web-4', 1_000)), { qos: 1 })
      await text(page, '#city-in', /^13\.1\s*t$/)
      const statsAfter = await stats()
      // The city subscription was resumed (the server replayed what was missed), not re-snapshotted.
      expect(statsAfter.resumed).toBeGreaterThan(statsBefore.resumed)
      expect(statsAfter.snapshots).toBe(statsBefore.snapshots)
      expect(statsAfter.gaps).toBe(0)

      // ── sign out ──
      await page.locator('#signout').click()
      await page.locator('#signin').waitFor(WAIT)
      expect(await page.evaluate("sessionStorage.getItem('qingyun.token')")).toBeNull()

      expect(problems).toEqual([])
    }
  )

  it('a viewer sees alerts but no acknowledge button', { timeout: 120_000 }, async () => {
    const t = await withSystem()
    const viewer = await t.token('viewer')
    const { page, problems } = await openPage(browser, t)
    await signIn(page, viewer)
    const fill1 = await t.device('fill-1')
    await fill1.publishAsync(
      deviceTopic('fill-1', 'fill'),
      JSON.stringify({ ts: new Date(Date.now() - 5_000).toISOString(), fillPct: 120 }),
      { qos: 1 }
    )
    await page.locator('#nav-alerts').click()
    const overflow = '#alerts-table tr[data-type="bin-overflow"][data-subject="bin-1"]'
    await page.locator(overflow).waitFor(WAIT)
    await count(page, `${overflow} button.ack`, 0)
    await contains(page, '#view', '只读账号不能确认告警')
    await shot(page, '10-alerts-viewer-zh')
    expect(problems).toEqual([])
  })
})
