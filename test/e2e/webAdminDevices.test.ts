import mqtt from 'mqtt'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { deviceTopic } from '../../contracts/topics.ts'
import { nextEvent } from '../harness/mqtt.ts'
import { withSystem } from '../harness/system.ts'
import { WAIT, attr, contains, count, launchBrowser, openPage, shot, signIn } from './webBrowser.ts'

// Management from the page, in Debian's chromium against the whole node: an admin adds a device,
// reads its token from the dialog that shows it once, a real MQTT client connects with it and
// gets its PUBACK; the admin revokes it from the page and its next CONNECT is refused. The same
// for an operator account: added on the page, signed in with in a second browser context,
// disabled on the page and signed out there. Refusals appear beside the field they name.

let browser: Browser
beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

/** Console errors but the refusals the test provokes (400, 409: the browser logs each failed request). */
const unexpected = (problems: string[]) => problems.filter((p) => !/status of 40[09] /.test(p))

const status = () => JSON.stringify({ ts: new Date(Date.now() - 1000).toISOString(), batteryPct: 77 })

describe('management pages', () => {
  it('adds a device (token shown once), a real client publishes with it, revokes it from the page', async () => {
    const t = await withSystem()
    const admin = await t.token('admin')
    const { page, context, problems } = await openPage(browser, t)
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.httpUrl })
    await signIn(page, admin)
    await page.locator('#nav-admin summary').click()
    await page.locator('#nav-admin-devices').click()
    const row = (id: string) => `#devices-table tr[data-device="${id}"]`
    await page.locator(row('wb-1')).waitFor(WAIT)
    await count(page, '#devices-table tbody tr', 5)

    // Filters: type, site, and a search over ids, names, plates.
    await page.locator('#devices-filter-type').selectOption('gps-tracker')
    await count(page, '#devices-table tbody tr', 2)
    await contains(page, row('gps-1'), '苏B12345')
    await page.locator('#devices-filter-type').selectOption('')
    await page.locator('#devices-filter-site').selectOption('sc-1')
    await count(page, '#devices-table tbody tr', 1)
    await page.locator(row('wb-2')).waitFor(WAIT)
    await page.locator('#devices-filter-site').selectOption('')
    await page.locator('#devices-search').fill('梁溪 fill')
    await count(page, '#devices-table tbody tr', 1)
    await page.locator(row('fill-1')).waitFor(WAIT)
    await page.locator('#devices-search').fill('')

    // Refusals beside their field: the page's own (required), then the server's.
    const fieldError = (f: string) => `#device-add .field-error[data-error-for="${f}"]`
    await page.locator('#device-add-submit').click()
    await contains(page, fieldError('id'), '必填')
    await contains(page, fieldError('siteId'), '必填')
    await page.locator('#device-add-ref').selectOption('sc-1')
    await page.locator('#device-add-id').fill('wb 9')
    await page.locator('#device-add-submit').click()
    await contains(page, fieldError('id'), 'must be 1-64 characters')
    await page.locator('#device-add-id').fill('wb-1')
    await page.locator('#device-add-submit').click()
    await contains(page, fieldError('id'), 'already registered')
    await shot(page, '70-admin-device-refused-zh')

    // Added: the token in the dialog, once, with its warning and a copy button.
    await page.locator('#device-add-id').fill('wb-page')
    await page.locator('#device-add-submit').click()
    await page.locator('#token-dialog').waitFor(WAIT)
    await contains(page, '#token-warning', '不会再次显示')
    const token = (await page.locator('#token-value').textContent())!.trim()
    expect(token).toMatch(/^qyd_[A-Za-z0-9_-]{43}$/)
    await page.locator('#token-copy').click()
    await attr(page, '#token-copied', 'data-copied', 'ok')
    // (The root tsconfig has no DOM types: the page's navigator, typed here.)
    type Nav = { navigator: { clipboard: { readText(): Promise<string> } } }
    expect(await page.evaluate(() => (globalThis as unknown as Nav).navigator.clipboard.readText())).toBe(token)
    await shot(page, '71-admin-device-token-zh')
    await page.locator('#token-close').click()
    await page.locator('#token-dialog').waitFor({ state: 'detached', ...WAIT })
    expect(await page.content()).not.toContain(token)
    await contains(page, row('wb-page'), '新吴区测试分拣中心')

    // A real device connects with it and is acknowledged; the list then has it reporting.
    const client = await mqtt.connectAsync(t.mqttUrl, { username: 'wb-page', password: token, reconnectPeriod: 0 })
    onTestFinished(() => client.endAsync(true))
    // QoS 1: resolves on the PUBACK (durable in the node's spool).
    await client.publishAsync(deviceTopic('wb-page', 'status'), status(), { qos: 1 })
    await t.forwarded()
    await page.locator('#nav-city').click()
    await page.locator('#nav-admin summary').click()
    await page.locator('#nav-admin-devices').click()
    await attr(page, row('wb-page'), 'data-state', 'online')

    // Revoked from the page, after a confirmation: the session is cut, the next CONNECT refused.
    const closed = nextEvent(client, 'close')
    await page.locator(`${row('wb-page')} button.revoke`).click()
    await contains(page, '#confirm-message', 'wb-page')
    await shot(page, '72-admin-device-revoke-confirm-zh')
    await page.locator('#confirm-ok').click()
    await closed
    await attr(page, row('wb-page'), 'data-state', 'revoked')
    await expect(
      mqtt.connectAsync(t.mqttUrl, { username: 'wb-page', password: token, reconnectPeriod: 0 })
    ).rejects.toMatchObject({ code: 4 })

    await page.locator('#lang').click()
    await contains(page, `${row('wb-page')} td[data-field="state"]`, 'revoked')
    await shot(page, '73-admin-devices-en')
    expect(unexpected(problems)).toEqual([])
  }, 180_000)

  it('adds an operator account, signs in with its token elsewhere, disables it; the last admin stays', async () => {
    const t = await withSystem()
    const admin = await t.token('admin')
    const { page, problems } = await openPage(browser, t)
    await signIn(page, admin)
    await page.locator('#nav-admin summary').click()
    await page.locator('#nav-admin-users').click()
    const row = (name: string) => `#users-table tr[data-user="${name}"]`
    await page.locator(row('test-admin-1')).waitFor(WAIT)

    await page.locator('#user-add-name').fill('zhao.min')
    await page.locator('#user-add-role').selectOption('operator')
    await page.locator('#user-add-submit').click()
    await page.locator('#token-dialog').waitFor(WAIT)
    const token = (await page.locator('#token-value').textContent())!.trim()
    expect(token).toMatch(/^qyo_[A-Za-z0-9_-]{43}$/)
    await shot(page, '74-admin-user-token-zh')
    await page.locator('#token-close').click()
    await attr(page, row('zhao.min'), 'data-role', 'operator')

    // A taken name: the server's message beside the field.
    await page.locator('#user-add-name').fill('zhao.min')
    await page.locator('#user-add-submit').click()
    await contains(page, '#user-add .field-error[data-error-for="name"]', 'an enabled account has this name')

    // The new operator signs in in a second browser context; no management there.
    const other = await openPage(browser, t)
    await signIn(other.page, token)
    await contains(other.page, '#user', 'zhao.min')
    expect(await other.page.locator('#nav-admin-devices').count()).toBe(0)

    // Disabled from the admin's page: the other browser is signed out.
    await page.locator(`${row('zhao.min')} button.disable`).click()
    await page.locator('#confirm-ok').click()
    await attr(page, row('zhao.min'), 'data-enabled', 'false')
    await other.page.locator('#token').waitFor(WAIT)

    // The only admin cannot demote themselves: the server says why, beside the row.
    await page.locator(`${row('test-admin-1')} select.role`).selectOption('viewer')
    await page.locator('#confirm-ok').click()
    await contains(page, '#users-table tr[data-error-of="test-admin-1"]', 'would leave no enabled admin')
    await attr(page, row('test-admin-1'), 'data-role', 'admin')
    await shot(page, '75-admin-users-last-admin-zh')
    expect(unexpected(problems)).toEqual([])
    expect(unexpected(other.problems)).toEqual([])
  }, 180_000)
})
