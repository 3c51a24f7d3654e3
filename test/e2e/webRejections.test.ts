import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DeviceRejections } from '../../contracts/rejection.ts'
import { deviceTopic } from '../../contracts/topics.ts'
import { withSystem } from '../harness/system.ts'
import { ticket } from '../fixtures/messages.ts'
import { WAIT, attr, contains, count, launchBrowser, openPage, shot, signIn } from './webBrowser.ts'

// The completeness page's drill-down to a device's rejected messages, in Debian's chromium: a
// real weighbridge publishes bad payloads over MQTT; the device's table lists each with its
// reason and the fields it names, as GET /api/v1/devices/:id/rejections does.

let browser: Browser
beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

describe('a device’s rejections on the completeness page', () => {
  it('lists each rejected message with its reason and fields, newest first', { timeout: 180_000 }, async () => {
    const t = await withSystem()
    const viewer = await t.token('viewer')
    const wb1 = await t.device('wb-1')
    const topic = deviceTopic('wb-1', 'weighing')
    await wb1.publishAsync(topic, JSON.stringify([ticket('T-ok'), { ...ticket('T-bad'), netKg: 'lots' }]), { qos: 1 })
    await wb1.publishAsync(topic, '{oops', { qos: 1 })
    await t.forwarded()
    const rest = await t.api<DeviceRejections>('/api/v1/devices/wb-1/rejections', viewer)
    expect(rest.body.items.map((i) => i.code).sort()).toEqual(['INGEST_E_JSON', 'INGEST_E_SCHEMA'])

    const { page, problems } = await openPage(browser, t)
    await signIn(page, viewer)
    await page.locator('#nav-completeness').click()
    await page.locator('#completeness-sites tr[data-site="ts-1"] a.drill').click()
    await page.locator('#completeness-devices tr[data-device="wb-1"] a.drill').click()
    await attr(page, '#completeness-device', 'data-device', 'wb-1')
    const rows = '#completeness-rejections tbody tr'
    await count(page, rows, 2)
    // Newest first, as REST lists them.
    const codes = await page.locator(rows).evaluateAll((els) => els.map((e) => e.getAttribute('data-code')))
    expect(codes).toEqual(rest.body.items.map((i) => i.code))
    await attr(page, `${rows}[data-code="INGEST_E_SCHEMA"]`, 'data-paths', 'netKg')
    await contains(page, `${rows}[data-code="INGEST_E_SCHEMA"] td[data-field="paths"]`, 'netKg')
    await contains(page, `${rows}[data-code="INGEST_E_SCHEMA"] td[data-field="message"]`, 'netKg')
    await contains(page, `${rows}[data-code="INGEST_E_JSON"]`, '不是 UTF-8 JSON')
    await contains(page, `${rows}[data-code="INGEST_E_JSON"] td[data-field="paths"]`, '整条消息')
    await page.locator('#completeness-rejections').waitFor(WAIT)
    await shot(page, '43-completeness-rejections-zh')
    expect(problems).toEqual([])
  })
})
