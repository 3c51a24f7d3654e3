// Driving the operations page in a real browser: Debian's chromium through playwright-core
// (never a downloaded browser), waits that poll in the page until vitest's timeout (no timed
// assertions), screenshots in test-output/screenshots/. Shared by test/e2e/web*.test.ts.
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { onTestFinished } from 'vitest'
import type { TestSystem } from '../harness/system.ts'

export const CHROMIUM = '/usr/bin/chromium'
export const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]
export const SHOTS = path.resolve('test-output/screenshots')
export const WAIT = { timeout: 45_000 }

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`)
  await mkdir(SHOTS, { recursive: true })
  // launch() gives the browser a fresh temporary profile (user-data dir) and removes it on close.
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS })
}

export interface Watched {
  readonly page: Page
  readonly context: BrowserContext
  /** Console errors and page errors, to check that nothing broke and the CSP refused nothing. */
  readonly problems: string[]
}

export async function openPage(browser: Browser, t: TestSystem, hash = ''): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1600, height: 900 }, acceptDownloads: true })
  // Closed when the test finishes, before the node it talks to is stopped (vitest runs these
  // hooks last-registered first): a page still connected could hold the node's HTTP server open
  // while it stops.
  onTestFinished(() => context.close().catch(() => undefined))
  const page = await context.newPage()
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    // The map asks for zones at /api/v1/zones, then the admin route; a 404/403 there is expected.
    if (m.type() === 'error' && !/status of 40[34]/.test(m.text())) problems.push(`console: ${m.text()}`)
  })
  await page.goto(`${t.httpUrl}/${hash}`)
  return { page, context, problems }
}

export async function signIn(page: Page, token: string): Promise<void> {
  await page.locator('#token').fill(token)
  await page.locator('#signin').click()
  await page.locator('#conn[data-state="open"]').waitFor(WAIT)
}

// playwright-core has no expect of its own (that is @playwright/test): these wait in the page
// for a condition, until vitest's timeout. Predicates are functions, not strings: the page's
// CSP (no 'unsafe-eval') refuses the eval that a string predicate needs.
interface El {
  textContent: string | null
  getAttribute(name: string): string | null
}
declare const document: {
  querySelector(selector: string): El | null
  querySelectorAll(selector: string): { length: number }
}
// (The arg reaches the page as JSON, so A is what it is there; playwright's Unboxed<A> says the same.)
export const until = <A>(page: Page, predicate: (arg: A) => unknown, arg: A): Promise<unknown> =>
  page.waitForFunction(predicate as (arg: unknown) => unknown, arg, WAIT)
/** The element's trimmed text matches `re`. */
export const text = (page: Page, selector: string, re: RegExp): Promise<unknown> =>
  until(
    page,
    ([sel, source, flags]) => new RegExp(source, flags).test((document.querySelector(sel)?.textContent ?? '').trim()),
    [selector, re.source, re.flags] as const
  )
export const contains = (page: Page, selector: string, part: string): Promise<unknown> =>
  until(page, ([sel, p]) => (document.querySelector(sel)?.textContent ?? '').includes(p), [selector, part] as const)
export const count = (page: Page, selector: string, n: number): Promise<unknown> =>
  until(page, ([sel, k]) => document.querySelectorAll(sel).length === k, [selector, n] as const)
export const attr = (page: Page, selector: string, name: string, value: string): Promise<unknown> =>
  until(page, ([sel, a, v]) => document.querySelector(sel)?.getAttribute(a) === v, [selector, name, value] as const)
export const exact = (s: string): RegExp => new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)

export const shot = (page: Page, name: string): Promise<Buffer> =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`) })
