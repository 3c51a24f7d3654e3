import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Zone } from '../../contracts/registryRules.ts'
import { withSystem } from '../harness/system.ts'
import { WAIT, attr, contains, count, exact, launchBrowser, openPage, shot, signIn, text, until } from './webBrowser.ts'

// The management pages in Debian's chromium against the whole node: targets, a site's
// capacity, a zone drawn with clicks on the map and moved by a vertex, the rules — each read
// back over the admin REST; a refused value shows the server's own message beside its field
// and saves nothing.

let browser: Browser
beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

interface Mapping {
  ax: number
  bx: number
  ay: number
  by: number
}
declare const window: { __qingyun: { view: { debug?: { mapping(): Mapping | null } } } }
declare const document: { querySelector(s: string): { getBoundingClientRect(): { left: number; top: number } } | null }

/** Opens a management view from the header's admin menu. */
async function openAdmin(page: Page, view: string): Promise<void> {
  await page.locator('#nav-admin summary').click()
  await page.locator(`#nav-admin-${view}`).click()
}

/** Waits for an input to hold `v` (the view has loaded it from the REST). */
const value = (page: Page, selector: string, v: string): Promise<unknown> =>
  until(page, ([sel, want]) => (document.querySelector(sel) as unknown as { value?: string } | null)?.value === want, [
    selector,
    v
  ] as const)

/** The geo's pixel mapping as the page has it now, and where the chart's box is in the viewport. */
async function geo(page: Page): Promise<{ m: Mapping; left: number; top: number }> {
  const r = await page.evaluate(() => {
    const box = document.querySelector('#zones-map .map-chart')!.getBoundingClientRect()
    return { m: window.__qingyun.view.debug!.mapping(), left: box.left, top: box.top }
  })
  if (!r.m) throw new Error('the zones map has no geo mapping')
  return { m: r.m, left: r.left, top: r.top }
}
/** What a click at viewport (x, y) means on the map: the inverse of the geo's linear mapping, computed here. */
const meant = (g: { m: Mapping; left: number; top: number }, x: number, y: number): [number, number] => [
  (x - g.left - g.m.bx) / g.m.ax,
  (y - g.top - g.m.by) / g.m.ay
]

describe('the management pages', () => {
  it(
    "changes the city's target and a site's capacity; a negative capacity shows the server's message and saves nothing",
    { timeout: 180_000 },
    async () => {
      const t = await withSystem()
      const admin = await t.token('admin')
      const operator = await t.token('operator')

      // An operator sees no management views.
      const op = await openPage(browser, t)
      await signIn(op.page, operator)
      await op.page.locator('#nav-city').waitFor(WAIT)
      await count(op.page, '#nav-admin', 0)
      await op.context.close()

      const { page, context, problems } = await openPage(browser, t)
      await signIn(page, admin)
      await contains(page, '#city-target', '目标 5,300 吨')

      // Targets: the daily target and one material's monthly target.
      await openAdmin(page, 'targets')
      await value(page, '#target-daily', '5300')
      await page.locator('#target-daily').fill('5600')
      await page.locator('#target-steel').fill('1200')
      await page.locator('#targets-save').click()
      await page.locator('#targets-saved').waitFor(WAIT)
      await shot(page, '60-admin-targets-zh')
      const targets = await t.api<{ dailyTargetT: number; recyclablesMonthlyT: Record<string, number> }>(
        '/api/v1/admin/targets',
        admin
      )
      expect(targets.body).toEqual({ dailyTargetT: 5600, recyclablesMonthlyT: { steel: 1200 } })
      await page.locator('#nav-city').click()
      await contains(page, '#city-target', '目标 5,600 吨')

      // A site's capacity, in place.
      await openAdmin(page, 'sites')
      const row = '#sites-admin tr[data-site="ts-1"]'
      const capacity = page.locator(`${row} input[name="capacityTpd"]`)
      await value(page, `${row} input[name="capacityTpd"]`, '400')
      await capacity.fill('450')
      await page.locator(`${row} .site-save`).click()
      await page.locator(`${row} .site-saved`).waitFor(WAIT)
      const sites = await t.api<Array<{ id: string; capacityTpd: number }>>('/api/v1/admin/sites', admin)
      expect(sites.body.find((s) => s.id === 'ts-1')?.capacityTpd).toBe(450)

      // A negative capacity: the server refuses it; its message stands beside the capacity field.
      const refused = await t.api<{ error: { details: { issues: Array<{ path: string; message: string }> } } }>(
        '/api/v1/admin/sites/ts-1',
        admin,
        { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ capacityTpd: -5 }) }
      )
      expect(refused.status).toBe(400)
      const issue = refused.body.error.details.issues.find((i) => i.path === 'capacityTpd')
      expect(issue?.message).toBeTruthy()
      await capacity.fill('-5')
      await page.locator(`${row} .site-save`).click()
      await text(page, `${row} td[data-field="capacityTpd"] .field-error`, exact(issue!.message))
      await attr(page, `${row} input[name="capacityTpd"]`, 'aria-invalid', 'true')
      await text(page, `${row} td[data-field="toleranceT"] .field-error`, /^$/)
      await shot(page, '61-admin-sites-refused-zh')
      const after = await t.api<Array<{ id: string; capacityTpd: number }>>('/api/v1/admin/sites', admin)
      expect(after.body.find((s) => s.id === 'ts-1')?.capacityTpd).toBe(450)
      expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([])
      // The page's websocket closed before the node stops (onTestFinished).
      await context.close()
    }
  )

  it(
    'draws a zone with four clicks, saves it in WGS-84 as clicked, moves a vertex, deletes it',
    { timeout: 180_000 },
    async () => {
      const t = await withSystem()
      const admin = await t.token('admin')
      const { page, context, problems } = await openPage(browser, t)
      await signIn(page, admin)
      await openAdmin(page, 'zones')
      const before = (await t.api<Zone[]>('/api/v1/admin/zones', admin)).body
      await page.locator('#zone-new').click()
      await page.locator('#zones-map[data-ready="true"]').waitFor(WAIT)
      const id = await page.locator('#zone-id').inputValue()
      expect(before.some((z) => z.id === id)).toBe(false)

      // Four clicks around the map's middle, on whole viewport pixels.
      const box = (await page.locator('#zones-map .map-chart').boundingBox())!
      const cx = Math.round(box.x + box.width / 2)
      const cy = Math.round(box.y + box.height / 2)
      const clicks: Array<[number, number]> = [
        [cx - 60, cy - 40],
        [cx + 70, cy - 45],
        [cx + 65, cy + 50],
        [cx - 55, cy + 45]
      ]
      const g = await geo(page)
      for (const [x, y] of clicks) await page.mouse.click(x, y)
      await attr(page, '#zones-map', 'data-vertices', '4')
      await page.locator('#zone-name').fill('测试居民区')
      await page.locator('#zone-speed').fill('30')
      await shot(page, '62-admin-zone-drawn-zh')
      // A time window for compactors with an impossible start: refused, the message beside the window.
      await page.locator('#zone-window-add').click()
      const win = '#zone-form [data-window="0"]'
      await page.locator(`${win} input[value="compactor"]`).check()
      await page.locator(`${win} .window-from`).fill('25:00')
      await page.locator('#zone-save').click()
      await contains(page, `${win} .window-time-error`, 'must be a local time HH:MM')
      expect((await t.api<Zone[]>('/api/v1/admin/zones', admin)).body.some((z) => z.id === id)).toBe(false)
      await page.locator(`${win} .window-from`).fill('22:00')
      await page.locator('#zone-save').click()
      await page.locator(`#zones-admin tr[data-zone="${id}"]`).waitFor(WAIT)

      const stored = async (): Promise<Zone> => {
        const z = (await t.api<Zone[]>('/api/v1/admin/zones', admin)).body.find((x) => x.id === id)
        if (!z) throw new Error(`zone ${id} not stored`)
        return z
      }
      const zone = await stored()
      expect(zone).toMatchObject({
        name: '测试居民区',
        speedLimitKmh: 30,
        windows: [{ vehicleTypes: ['compactor'], from: '22:00', to: '06:00' }]
      })
      expect(zone.polygon).toHaveLength(4)
      const expected = clicks.map(([x, y]) => meant(g, x, y))
      zone.polygon.forEach((p, i) => {
        expect(Math.abs(p[0] - expected[i]![0])).toBeLessThan(1e-5)
        expect(Math.abs(p[1] - expected[i]![1])).toBeLessThan(1e-5)
      })
      // Around Wuxi, and not all in one place.
      for (const [lon, lat] of zone.polygon) {
        expect(lon).toBeGreaterThan(119)
        expect(lon).toBeLessThan(121)
        expect(lat).toBeGreaterThan(31)
        expect(lat).toBeLessThan(32.2)
      }
      expect(zone.polygon[1]![0] - zone.polygon[0]![0]).toBeGreaterThan(0)

      // Drag the first vertex 30 px right and 20 px down, then save.
      const g2 = await geo(page)
      const v0 = page.locator('#zones-map circle.zone-vertex[data-vertex="0"]')
      const at = (await v0.boundingBox())!
      const [fx, fy] = [Math.round(at.x + at.width / 2), Math.round(at.y + at.height / 2)]
      await page.mouse.move(fx, fy)
      await page.mouse.down()
      await page.mouse.move(fx + 15, fy + 10, { steps: 3 })
      await page.mouse.move(fx + 30, fy + 20, { steps: 3 })
      await page.mouse.up()
      await page.locator('#zone-save').click()
      await expect.poll(async () => (await stored()).polygon[0], { timeout: WAIT.timeout }).not.toEqual(zone.polygon[0])
      const moved = await stored()
      const want = meant(g2, fx + 30, fy + 20)
      expect(Math.abs(moved.polygon[0]![0] - want[0])).toBeLessThan(1e-5)
      expect(Math.abs(moved.polygon[0]![1] - want[1])).toBeLessThan(1e-5)
      expect(moved.polygon.slice(1)).toEqual(zone.polygon.slice(1))
      await shot(page, '63-admin-zone-moved-zh')

      // In English, finishing with a double click: its two clicks make one vertex; a click after adds none.
      await page.locator('#lang').click()
      await page.locator('#zone-new').click()
      await contains(page, '#zone-form', 'double-click or click the first vertex to finish')
      await page.locator('#zones-map[data-ready="true"]').waitFor(WAIT)
      for (const [x, y] of clicks.slice(0, 3)) await page.mouse.click(x, y)
      await page.mouse.dblclick(clicks[3]![0], clicks[3]![1])
      await page.locator('#zones-map:not(.drawing)').waitFor(WAIT)
      await attr(page, '#zones-map', 'data-vertices', '4')
      await contains(page, '#zone-form', 'Drag a vertex to move it')
      await page.mouse.click(cx, cy)
      await attr(page, '#zones-map', 'data-vertices', '4')
      await shot(page, '65-admin-zone-dblclick-en')

      // A new zone under the id of an existing one would replace it: refused beside the id.
      await page.locator('#zone-id').fill(id)
      await page.locator('#zone-name').fill('another')
      await page.locator('#zone-save').click()
      await contains(page, '#zone-id-error', 'exists already')
      expect((await stored()).name).toBe('测试居民区')
      await page.locator('#zone-cancel').click()

      // Delete.
      await page.locator(`#zones-admin tr[data-zone="${id}"] a`).click()
      await page.locator('#zone-delete').waitFor(WAIT)
      page.once('dialog', (d) => void d.accept())
      await page.locator('#zone-delete').click()
      await count(page, `#zones-admin tr[data-zone="${id}"]`, 0)
      const gone = (await t.api<Zone[]>('/api/v1/admin/zones', admin)).body
      expect(gone.some((z) => z.id === id)).toBe(false)

      // The refused save's 400 is logged by the browser; nothing else.
      expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([])
      // The page's websocket closed before the node stops (onTestFinished).
      await context.close()
    }
  )

  it('edits the rules; a refused one is named beside its field', { timeout: 120_000 }, async () => {
    const t = await withSystem()
    const admin = await t.token('admin')
    const { page, context, problems } = await openPage(browser, t)
    await signIn(page, admin)
    await openAdmin(page, 'rules')
    await attr(page, '#rule-binOverflowPct', 'placeholder', '默认 100')
    await attr(page, '#rule-offlineAfterMs-weighbridge', 'placeholder', '默认 360')
    await attr(page, '#rule-speedingTolerancePct', 'placeholder', '默认 10')
    await attr(page, '#rule-offlineGroupMin', 'placeholder', '默认 5')
    await page.locator('#rule-binOverflowPct').fill('110')
    await page.locator('#rule-offlineAfterMs-gps-tracker').fill('15')
    await page.locator('#rules-save').click()
    await page.locator('#rules-saved').waitFor(WAIT)
    const rules = await t.api<{ rules: Record<string, unknown> }>('/api/v1/admin/rules', admin)
    expect(rules.body.rules).toEqual({ binOverflowPct: 110, offlineAfterMs: { 'gps-tracker': 900_000 } })

    // Needs-service above overflow: the registry's check refuses it, naming the field.
    await page.locator('#rule-binNeedsServicePct').fill('120')
    await page.locator('#rules-save').click()
    await contains(page, '#rule-binNeedsServicePct-error', 'must not exceed binOverflowPct')
    await shot(page, '64-admin-rules-refused-zh')
    const still = await t.api<{ rules: Record<string, unknown> }>('/api/v1/admin/rules', admin)
    expect(still.body.rules).toEqual(rules.body.rules)
    expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([])
    await context.close()
  })
})
