import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Alert, CitySummary } from '../../contracts/ops.ts'
import { deviceTopic } from '../../contracts/topics.ts'
import { withSystem, type TestSystem } from '../harness/system.ts'
import { WAIT, attr, contains, count, launchBrowser, openPage, shot, signIn, text } from './webBrowser.ts'

// Alert triage on the page, in Debian's chromium against the whole node: filters by type,
// severity, district and state kept in the URL; messages in the page's language (REST and the
// websocket channel); bulk acknowledgement with a note; "show on map"; a grouped offline alert
// with its members. And the demo banner, on every view, when /city says the city is simulated.

let browser: Browser
beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

/** bin-1 overflowing (梁溪); wb-1 and gps-1 (梁溪) silent → one grouped offline alert; gps-2 (滨湖) alone. */
async function alertsOnStage(t: TestSystem): Promise<void> {
  const admin = await t.token('admin')
  const rules = await t.api('/api/v1/admin/rules', admin, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ offlineAfterMs: { weighbridge: 1, 'gps-tracker': 1 }, offlineGroupMin: 2 })
  })
  expect(rules.status).toBe(200)
  for (const id of ['wb-1', 'gps-1', 'gps-2']) {
    const c = await t.device(id)
    await c.publishAsync(deviceTopic(id, 'status'), JSON.stringify({ ts: Date.now() - 5_000, batteryPct: 90 }), {
      qos: 1
    })
  }
  const fill = await t.device('fill-1')
  await fill.publishAsync(deviceTopic('fill-1', 'fill'), JSON.stringify({ ts: Date.now() - 1_000, fillPct: 125 }), {
    qos: 1
  })
  await t.forwarded()
}

describe('alert triage on the page', () => {
  it(
    'filters by type, district and state in the URL, speaks the page language, acks many with a note, shows on map',
    { timeout: 180_000 },
    async () => {
      const t = await withSystem()
      const operator = await t.token('operator')
      await alertsOnStage(t)
      const { page, problems } = await openPage(browser, t)
      await signIn(page, operator)
      // Not the demo: no banner.
      await count(page, '#sim-banner', 0)
      await page.locator('#nav-alerts').click()

      // By type: the grouped offline alert for 梁溪 and gps-2's own.
      await page.locator('#alerts-type').selectOption('device-offline')
      await page.waitForURL(/#\/alerts\?.*type=device-offline/, WAIT)
      const rows = '#alerts-table tbody tr.alert'
      await count(page, rows, 2)
      const group = `${rows}[data-subject="梁溪"]`
      await contains(page, `${group} .members-toggle`, '2 台设备')
      await page.locator(`${group} .members-toggle`).click()
      const members = await page.locator('#alerts-table tr.members li').allTextContents()
      expect(members.map((m) => m.replace(/.*\((.+)\)$/, '$1'))).toEqual(['gps-1', 'wb-1'])
      await shot(page, '30-alerts-grouped-zh')

      // And by district: the URL carries both; a link opens the same list.
      await page.locator('#alerts-district').selectOption('滨湖')
      await count(page, rows, 1)
      await attr(page, rows, 'data-subject', 'gps-2')
      await page.waitForURL(/district=/, WAIT)
      const hash = new URL(page.url()).hash
      expect(decodeURIComponent(hash)).toContain('type=device-offline')
      expect(decodeURIComponent(hash)).toContain('district=滨湖')

      // A link like the city view's: the overflowing bin, named, in Chinese.
      await page.evaluate("location.hash = '#/alerts?type=bin-overflow'")
      await count(page, rows, 1)
      const overflow = `${rows}[data-subject="bin-1"]`
      await text(page, `${overflow} td.subject .subject-name`, /^梁溪区厨余垃圾桶 1 号$/)
      await contains(page, `${overflow} td.message`, '梁溪区厨余垃圾桶 1 号已满溢')
      expect(await page.locator('#alerts-type').inputValue()).toBe('bin-overflow')

      // In English: the channel sends English messages.
      await page.locator('#lang').click()
      await contains(page, `${overflow} td.message`, 'kitchen waste bin no. 1 in Liangxi District is overflowing')
      await page.locator('#lang').click()
      await contains(page, `${overflow} td.message`, '已满溢')

      // Every type, then select all three and acknowledge them with one note.
      await page.locator('#alerts-type').selectOption('')
      await count(page, rows, 3)
      await page.locator('#alerts-pick-all').check()
      await text(page, '#alerts-ack-selected', /（3）/)
      await page.locator('#alerts-note').fill('已派车 · crew sent')
      await page.locator('#alerts-ack-selected').click()
      await count(page, `${rows} .acked`, 3)
      await contains(page, `${overflow} .acked`, '已派车 · crew sent')
      await count(page, `${rows} input.pick`, 0)
      await shot(page, '31-alerts-acked-zh')
      const listed = await t.api<Alert[]>('/api/v1/alerts', operator)
      expect(listed.body).toHaveLength(3)
      for (const a of listed.body) {
        expect(a.acknowledgedBy).toMatch(/^test-operator-/)
        expect(a.acknowledgedNote).toBe('已派车 · crew sent')
      }

      // Resolved ones are apart: none yet.
      await page.locator('#alerts-state').selectOption('resolved')
      await count(page, rows, 0)
      await page.locator('#alerts-state').selectOption('all')
      await count(page, rows, 3)

      // Show on map: centred on the bin, its panel open.
      await page.locator(`${overflow} a.show-on-map`).click()
      await page.waitForURL((u) => decodeURIComponent(u.hash) === '#/map?focus=120.31,31.58&select=bin:bin-1', WAIT)
      await contains(page, '#map-panel[data-kind="bin"]', 'bin-1')
      await page.locator('#map[data-bins-overflow="1"]').waitFor(WAIT)
      await shot(page, '32-alert-on-map-zh')
      expect(problems).toEqual([])
    }
  )

  it('shows the simulated-city banner on every view when /city says so', { timeout: 120_000 }, async () => {
    const t = await withSystem()
    const viewer = await t.token('viewer')
    const { page, context, problems } = await openPage(browser, t)
    // The test node serves the real registry's city, which is not simulated; `simulated` is the
    // one field set by `--demo`, so the real answer is passed through with it turned on.
    await context.route('**/api/v1/city', async (route) => {
      const res = await route.fetch()
      const body = (await res.json()) as CitySummary
      expect(body.simulated).toBe(false)
      await route.fulfill({ response: res, json: { ...body, simulated: true } })
    })
    await signIn(page, viewer)
    for (const view of ['city', 'sites', 'map', 'alerts', 'history']) {
      await page.locator(`#nav-${view}`).click()
      await page.locator(`section.view[data-view="${view}"]`).waitFor(WAIT)
      await text(page, '#sim-banner', /^模拟数据 · simulated city$/)
    }
    await shot(page, '33-simulated-banner-zh')
    expect(problems).toEqual([])
  })
})
