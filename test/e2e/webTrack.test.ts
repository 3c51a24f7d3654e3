import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Registry, Zone } from '../../contracts/registry.ts'
import { addDays, localDate, startOfLocalDay } from '../../lib/time.ts'
import { saveRegistry } from '../../registry/load.ts'
import { withSystem } from '../harness/system.ts'
import { WAIT, attr, contains, count, launchBrowser, openPage, shot, signIn, text } from './webBrowser.ts'

// Track replay and sites on the map, in Debian's chromium against the whole node: a truck's
// yesterday published over real MQTT (through a restricted zone, a stop at the station, a
// tipping ticket), replayed from the map's truck panel with the slider and play at 300×; the
// sites drawn on the map coloured by their day.

const TZ = 'Asia/Shanghai'
const ZONE: Zone = {
  id: 'z-test',
  name: '测试居住区',
  speedLimitKmh: 30,
  polygon: [
    [120.29, 31.56],
    [120.31, 31.56],
    [120.31, 31.58],
    [120.29, 31.58]
  ],
  windows: [{ vehicleTypes: ['recyclable'], from: '08:00', to: '18:00' }]
}

let browser: Browser
beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

describe('track replay and sites on the page', () => {
  it(
    "replays a truck's day from its map panel: track, stop, tipping, violations, slider, play at 300×",
    { timeout: 180_000 },
    async () => {
      const t = await withSystem()
      const operator = await t.token('operator')
      await saveRegistry(t.registryPath, { ...t.registry, zones: [ZONE] } satisfies Registry)
      await vi.waitFor(async () => expect((await t.api<Zone[]>('/api/v1/zones', operator)).body).toHaveLength(1), {
        timeout: 10_000
      })
      const day = addDays(localDate(Date.now(), TZ), -1)
      const base = startOfLocalDay(day, TZ) + 8 * 3_600_000
      const fix = (i: number, lat: number, lon: number, speedKmh: number, headingDeg?: number) => ({
        ts: base + i * 15_000,
        seq: i,
        lat,
        lon,
        speedKmh,
        ...(headingDeg === undefined ? {} : { headingDeg })
      })
      const fixes = [
        ...Array.from({ length: 20 }, (_, i) => fix(i, 31.57, 120.25 + i * 0.001, 50, 90)),
        // In the zone at 40 km/h: over its 30 km/h limit.
        ...Array.from({ length: 20 }, (_, i) => fix(20 + i, 31.57, 120.291 + i * 0.0004, 40, 90)),
        // Standing at the station for 6.75 min, where it tips.
        ...Array.from({ length: 28 }, (_, i) => fix(40 + i, 31.57, 120.3, 0)),
        ...Array.from({ length: 20 }, (_, i) => fix(68 + i, 31.571 + i * 0.001, 120.3, 25, 0))
      ]
      const gps = await t.device('gps-1')
      await gps.publishAsync('v1/devices/gps-1/position', JSON.stringify(fixes), { qos: 1 })
      // Today too (outside the zone), so the truck is on the live map, moving, to be clicked.
      await gps.publishAsync(
        'v1/devices/gps-1/position',
        JSON.stringify({ ts: Date.now() - 2_000, lat: 31.6, lon: 120.33, speedKmh: 25, headingDeg: 90 }),
        { qos: 1 }
      )
      const wb = await t.device('wb-1')
      await wb.publishAsync(
        'v1/devices/wb-1/weighing',
        JSON.stringify({
          ts: base + 45 * 15_000,
          ticketId: 'T-1',
          direction: 'in',
          stream: 'residual',
          grossKg: 16_000,
          tareKg: 10_000,
          netKg: 6_000,
          plate: '苏B12345'
        }),
        { qos: 1 }
      )
      await t.forwarded()

      const { page, problems } = await openPage(browser, t)
      await signIn(page, operator)
      await page.locator('#nav-map').click()
      await page.locator('#map[data-trucks-moving="1"]').waitFor(WAIT)
      const canvas = await page.locator('#map canvas.map-points').boundingBox()
      const at = (await page.evaluate(
        "(() => { const h = window.__qingyun.view.debug.hits(); const i = h.ref.findIndex((r) => r.vehicleId === 'veh-1'); return [h.x[i], h.y[i]] })()"
      )) as [number, number]
      await page.mouse.click(canvas!.x + at[0], canvas!.y + at[1])
      await page.locator('#map-panel-track').click()
      await page.waitForURL(/#\/track\/veh-1/, WAIT)

      // Today first (the default day): the one live fix.
      await page.locator('#track[data-points="1"]').waitFor(WAIT)
      expect(await page.locator('#track-plate').inputValue()).toBe('苏B12345')
      // Yesterday: the day replayed.
      await page.locator('#track-date').fill(day)
      await page.locator('#track-date').dispatchEvent('change')
      const track = '#track[data-vehicle="veh-1"][data-stops="1"][data-tipping="1"][data-violations="2"]'
      await page.locator(track).waitFor(WAIT)
      expect(page.url()).toContain(`date=${day}`)
      await contains(page, '#track-summary', '88 个定位点')
      await contains(page, '#track-events li[data-kind="stop"]', '梁溪区测试转运站')
      await contains(page, '#track-events li[data-kind="tipping"]', '倾倒 6 吨')
      const violations = await page.locator('#track-events li[data-kind="violation"]').allTextContents()
      expect(violations.map((v) => v.replace(/\s+/g, ' ').trim())).toEqual([
        '08:05–08:19 · 限行区违规 · 40 km/h',
        '08:05–08:09 · 超速 · 40 km/h / 30 km/h'
      ])
      await text(page, '#track-clock', /08:00 · 50 km\/h$/)
      await page.locator('#track canvas.map-points').waitFor(WAIT)
      await shot(page, '34-track-start-zh')

      // The slider moves the truck: 08:10 is at the station, standing.
      await page.locator('#track-slider').fill(String(base + 40 * 15_000))
      await text(page, '#track-clock', /08:10 · 0 km\/h$/)
      // Play at 300×: the 21¾ minutes of the day end within seconds, and the clock stops at the last fix.
      await page.locator('#track-speed').selectOption('300')
      await page.locator('#track-play').click()
      await attr(page, '#track-play', 'data-playing', 'true')
      await attr(page, '#track-play', 'data-playing', 'false')
      await attr(page, '#track-clock', 'data-t', String(base + 87 * 15_000))
      await shot(page, '35-track-end-zh')
      expect(problems).toEqual([])
    }
  )

  it('draws the sites on the map coloured by their day', { timeout: 120_000 }, async () => {
    const t = await withSystem()
    const viewer = await t.token('viewer')
    // sc-1 (sorting, 80 t/day) takes 100 t: will not clear (and over capacity); ts-1 has no ticket.
    const wb2 = await t.device('wb-2')
    await wb2.publishAsync(
      'v1/devices/wb-2/weighing',
      JSON.stringify({
        ts: Date.now() - 30_000,
        ticketId: 'T-site-1',
        direction: 'in',
        stream: 'residual',
        grossKg: 110_000,
        tareKg: 10_000,
        netKg: 100_000,
        plate: '苏B12345'
      }),
      { qos: 1 }
    )
    const { page, problems } = await openPage(browser, t)
    await signIn(page, viewer)
    await page.locator('#nav-map').click()
    await page.locator('#map[data-sites="2"][data-site-classes="no-data=1,will-not-clear=1"]').waitFor(WAIT)
    await contains(page, '.map-legend', '无法日清')
    await shot(page, '36-map-sites-zh')
    // Hover names the site and its day; a click opens its page.
    const box = await page.locator('#map canvas.map-points').boundingBox()
    const at = (await page.evaluate(
      "(() => { const h = window.__qingyun.view.debug.siteHits(); const i = h.ref.findIndex((r) => r.siteId === 'sc-1'); return [h.x[i], h.y[i]] })()"
    )) as [number, number]
    await page.mouse.move(box!.x + at[0], box!.y + at[1])
    await contains(page, '#map-tip', '新吴区测试分拣中心 · 无法日清')
    await page.locator('#layer-sites').uncheck()
    await page.locator('#map[data-sites="0"]').waitFor(WAIT)
    await page.locator('#layer-sites').check()
    await page.locator('#map[data-sites="2"]').waitFor(WAIT)
    await page.mouse.click(box!.x + at[0], box!.y + at[1])
    await text(page, '#site-name', /^新吴区测试分拣中心$/)
    await count(page, '#map', 0)
    expect(problems).toEqual([])
  })
})
