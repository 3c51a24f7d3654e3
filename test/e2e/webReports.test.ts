import { readFile } from 'node:fs/promises'
import ExcelJS from 'exceljs'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { DailyRow, Recyclables } from '../../contracts/ops.ts'
import type { DailyReport } from '../../contracts/reports.ts'
import { deviceTopic } from '../../contracts/topics.ts'
import { withSystem, type TestSystem } from '../harness/system.ts'
import { WAIT, attr, contains, count, launchBrowser, openPage, shot, signIn, text, until } from './webBrowser.ts'

// History, reports, recyclables and completeness on the page, in Debian's chromium against the
// whole node: tickets over real MQTT, the page's numbers against the REST answers, the CSV and
// the .xlsx downloaded through fetch + Blob with the bearer token, the print layout in print media.

// The page's globals the test reaches into (the root tsconfig has no DOM types).
interface Styles {
  getComputedStyle(e: unknown): { breakBefore: string }
}

let browser: Browser
beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

const ticket = (ticketId: string, direction: 'in' | 'out', netKg: number, material?: string) => ({
  ts: new Date(Date.now() - 30_000).toISOString(),
  ticketId,
  direction,
  stream: material ? 'recyclable' : 'residual',
  ...(material ? { material } : {}),
  grossKg: 10_000 + netKg,
  tareKg: 10_000,
  netKg,
  plate: '苏B12345'
})

const isoDay = (ms: number): string =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit'
  }).format(ms)

/** ts-1: 30 t in, 12 t out; sc-1: 20 t of paper in, 15 t out; wb-1 also sends one payload that is not JSON. */
async function publishDay(t: TestSystem): Promise<void> {
  const wb1 = await t.device('wb-1')
  const wb2 = await t.device('wb-2')
  const topic = (id: string) => deviceTopic(id, 'weighing')
  await wb1.publishAsync(topic('wb-1'), JSON.stringify(ticket('T-r-1', 'in', 30_000)), { qos: 1 })
  await wb1.publishAsync(topic('wb-1'), JSON.stringify(ticket('T-r-2', 'out', 12_000)), { qos: 1 })
  await wb2.publishAsync(topic('wb-2'), JSON.stringify(ticket('T-r-3', 'in', 20_000, 'paper')), { qos: 1 })
  await wb2.publishAsync(topic('wb-2'), JSON.stringify(ticket('T-r-4', 'out', 15_000, 'paper')), { qos: 1 })
  await wb1.publishAsync(topic('wb-1'), 'not json', { qos: 1 })
  await t.forwarded()
}

describe('history, reports, recyclables and completeness pages', () => {
  it(
    'charts history with city totals, "no data" and "in progress" days, and a CSV in the page language',
    { timeout: 180_000 },
    async () => {
      const t = await withSystem()
      const operator = await t.token('operator')
      await publishDay(t)
      const today = isoDay(Date.now())
      const yesterday = isoDay(Date.now() - 86_400_000)
      const { page, problems } = await openPage(browser, t)
      await signIn(page, operator)
      await page.locator('#nav-history').click()

      // The city's day: the sum of the sites' rows from REST.
      const rest = await t.api<DailyRow[]>(`/api/v1/history?from=${yesterday}&to=${today}`, operator)
      const inT = rest.body.filter((r) => r.day === today).reduce((a, r) => a + r.inT, 0)
      expect(inT).toBe(50)
      const city = `#history-city tr[data-day="${today}"]`
      await attr(page, city, 'data-state', 'in-progress')
      await contains(page, city, '进行中')
      await contains(page, city, '50')
      await contains(page, city, '27') // out: 12 + 15
      // Days without a ticket are "no data", not "cleared: yes".
      await attr(page, `#history-city tr[data-day="${yesterday}"]`, 'data-state', 'no-data')
      await contains(page, `#history-city tr[data-day="${yesterday}"]`, '无数据')
      await contains(page, `#history-table tr[data-day="${yesterday}"][data-site="ts-1"]`, '无数据')
      expect(await page.locator(`#history-table tr[data-day="${yesterday}"]`).first().innerText()).not.toContain('是')
      await contains(page, `#history-table tr[data-day="${today}"][data-site="ts-1"]`, '进行中')
      await text(page, '#history-total-in', /^50\s*吨$/)
      await page.locator('#history-chart-tonnes canvas').first().waitFor(WAIT)
      await page.locator('#history-chart-rates canvas').first().waitFor(WAIT)
      await shot(page, '30-history-charts-zh')

      // The CSV in the page's language: Chinese headers after a BOM.
      const [zhCsv] = await Promise.all([page.waitForEvent('download', WAIT), page.locator('#history-csv').click()])
      const zh = await readFile((await zhCsv.path())!, 'utf8')
      expect(zh.charCodeAt(0)).toBe(0xfeff)
      expect(zh.slice(1).split(/\r?\n/)[0]).toContain('日期')

      await page.locator('#lang').click()
      await contains(page, `#history-city tr[data-day="${yesterday}"]`, 'no data')
      await contains(page, `#history-city tr[data-day="${today}"]`, 'in progress')
      const [enCsv] = await Promise.all([page.waitForEvent('download', WAIT), page.locator('#history-csv').click()])
      const en = await readFile((await enCsv.path())!, 'utf8')
      expect(en.slice(1).split(/\r?\n/)[0]).toMatch(/^day,siteId,/)
      await shot(page, '31-history-charts-en')
      expect(problems).toEqual([])
    }
  )

  it(
    'shows the daily and monthly reports as tables, downloads the .xlsx and prints on A4 without the navigation',
    { timeout: 180_000 },
    async () => {
      const t = await withSystem()
      const operator = await t.token('operator')
      await publishDay(t)
      const today = isoDay(Date.now())
      const { page, context, problems } = await openPage(browser, t)
      // Counts print() calls instead of opening the print dialog (an init script is not subject to the
      // CSP; it runs from the next load on).
      await context.addInitScript(() => {
        const w = globalThis as unknown as { print: () => void; printed: number }
        w.printed = 0
        w.print = () => {
          w.printed++
        }
      })
      await page.reload()
      await signIn(page, operator)
      // The view loads yesterday's report on opening; held back here until today's, asked
      // for after it, is shown, it must not replace today's when it answers last.
      const yesterday = isoDay(Date.now() - 86_400_000)
      let release: () => void = () => undefined
      const held = new Promise<void>((r) => (release = r))
      const isYesterdays = (url: URL): boolean =>
        url.pathname.endsWith('/reports/daily') && url.searchParams.get('date') === yesterday
      await page.route(isYesterdays, async (route) => {
        await held
        await route.continue()
      })
      await page.locator('#nav-reports').click()
      await page.locator('#reports-date').fill(today)
      await page.locator('#reports-load').click()
      await contains(page, '#report-title', today)
      const answered = page.waitForResponse((r) => isYesterdays(new URL(r.url())), WAIT)
      release()
      await answered
      await page.unroute(isYesterdays)
      const rest = await t.api<DailyReport>(`/api/v1/reports/daily?date=${today}&format=json`, operator)
      expect(rest.status).toBe(200)
      await contains(page, '#report-title', today)
      await contains(page, '#report-sites', '梁溪区测试转运站')
      await contains(page, '#report-sites', '新吴区测试分拣中心')
      const cityIn = rest.body.cityDays.find((d) => d.day === today)!.inT
      expect(cityIn).toBe(50)
      await text(page, '#report-cityDays td[data-field="inT"]', /^50$/)
      await contains(page, '#report-recyclables', '纸类')
      await contains(page, '#report-sortingYield td[data-field="yieldPct"]', '75%')
      await attr(page, '#report-completeness', 'data-rows', String(rest.body.completeness.length))
      for (const key of ['cityDays', 'sites', 'capacity', 'recyclables', 'sortingYield', 'bins', 'vehicles'])
        await page.locator(`#report-${key}`).waitFor(WAIT)
      await shot(page, '32-report-daily-zh')

      // The .xlsx through fetch + Blob with the bearer token, read back.
      const [xlsx] = await Promise.all([page.waitForEvent('download', WAIT), page.locator('#reports-xlsx').click()])
      expect(xlsx.suggestedFilename()).toBe(`qingyun-wuxi-daily-${today}.xlsx`)
      const book = new ExcelJS.Workbook()
      await book.xlsx.readFile((await xlsx.path())!)
      expect(book.worksheets.length).toBeGreaterThanOrEqual(8)

      // Print: the button calls print(); in print media the navigation and controls are gone and
      // every section after the first starts a page; the PDF is A4 with more than one page.
      await page.locator('#reports-print').click()
      await until(page, () => (globalThis as unknown as { printed: number }).printed === 1, null)
      await page.emulateMedia({ media: 'print' })
      expect(await page.locator('header.top').isVisible()).toBe(false)
      expect(await page.locator('#reports-print').isVisible()).toBe(false)
      const breaks = await page
        .locator('.report-section')
        .evaluateAll((els) => els.map((e) => (globalThis as unknown as Styles).getComputedStyle(e).breakBefore))
      expect(breaks[0]).not.toBe('page')
      expect(breaks.slice(1).every((b) => b === 'page')).toBe(true)
      await shot(page, '33-report-print-zh')
      const pdf = await page.pdf({ preferCSSPageSize: true })
      const boxes = [...pdf.toString('latin1').matchAll(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/g)]
      expect(boxes.length).toBeGreaterThanOrEqual(8)
      // A4 is 595 × 842 points.
      for (const [, w, h] of boxes) expect([Math.round(Number(w)), Math.round(Number(h))]).toEqual([595, 842])
      await page.emulateMedia({ media: 'screen' })

      // The monthly report.
      await page.locator('#reports-kind').selectOption('monthly')
      await attr(page, '#report', 'data-kind', 'monthly')
      await contains(page, '#report-title', today.slice(0, 7))
      await contains(page, '#report-title', '月报')
      await shot(page, '34-report-monthly-zh')
      expect(problems).toEqual([])
    }
  )

  it(
    'shows recyclables against the month targets and completeness drilled down from a site to a device',
    { timeout: 180_000 },
    async () => {
      const t = await withSystem()
      const admin = await t.token('admin')
      const targets = await t.api('/api/v1/admin/targets', admin, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dailyTargetT: 5300, recyclablesMonthlyT: { paper: 60, steel: 300 } })
      })
      expect(targets.status).toBe(200)
      await publishDay(t)
      const { page, problems } = await openPage(browser, t)
      await signIn(page, admin)

      // Recyclables: the page's figures are the REST figures.
      await vi.waitFor(
        async () => {
          const r = await t.api<Recyclables>('/api/v1/recyclables', admin)
          expect(r.body.monthToDate.find((m) => m.material === 'paper')).toMatchObject({ t: 15, targetT: 60, pct: 25 })
        },
        { timeout: 15_000, interval: 200 }
      )
      await page.locator('#nav-recyclables').click()
      const paper = '#recyclables-mtd tr[data-material="paper"]'
      await text(page, `${paper} td[data-field="t"]`, /^15$/)
      await text(page, `${paper} td[data-field="targetT"]`, /^60$/)
      await text(page, `${paper} td[data-field="pct"]`, /^25%$/)
      await contains(page, '#recyclables-mtd tr[data-material="steel"]', '300')
      await text(page, '#recyclables-yield tr[data-site="sc-1"] td[data-field="yieldPct"]', /^75%$/)
      await contains(page, '#recyclables-yield tr[data-site="sc-1"]', '新吴区测试分拣中心')
      await text(page, '#recyclables-materials tr[data-material="paper"] td[data-field="inT"]', /^20$/)
      await shot(page, '35-recyclables-zh')

      // Completeness: wb-1's payload that was not JSON, per site, then per device, then by reason.
      await vi.waitFor(
        async () => {
          const r = await t.api<Array<{ key: string; rejectedTotal: number }>>('/api/v1/completeness?by=site', admin)
          expect(r.body.find((x) => x.key === 'ts-1')?.rejectedTotal).toBe(1)
        },
        { timeout: 15_000, interval: 200 }
      )
      await page.locator('#nav-completeness').click()
      const site = '#completeness-sites tr[data-site="ts-1"]'
      await text(page, `${site} td[data-field="accepted"]`, /^2$/)
      await text(page, `${site} td[data-field="rejectedTotal"]`, /^1$/)
      await contains(page, `${site} td[data-field="reasons"]`, '不是 UTF-8 JSON')
      await page.locator(`${site} a.drill`).click()
      await count(page, '#completeness-devices tbody tr', 1)
      await attr(page, '#completeness-devices tbody tr', 'data-device', 'wb-1')
      await page.locator('#completeness-devices tr[data-device="wb-1"] a.drill').click()
      await attr(page, '#completeness-device', 'data-device', 'wb-1')
      await text(page, '#completeness-reasons tr[data-reason="INGEST_E_JSON"] td[data-field="count"]', /^1$/)
      await shot(page, '36-completeness-drill-zh')
      // All devices at once, with those that never reported.
      await page.locator('#completeness-by').selectOption('device')
      await count(page, '#completeness-devices tbody tr', 5)
      await contains(page, '#completeness-devices tr[data-device="gps-1"] td[data-field="neverReported"]', '是')
      await contains(page, '#completeness-devices tr[data-device="wb-2"] td[data-field="neverReported"]', '否')
      await shot(page, '37-completeness-devices-zh')
      expect(problems).toEqual([])
    }
  )
})
