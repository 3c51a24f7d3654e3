import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deviceTopic } from '../../contracts/topics.ts'
import { withSystem, type TestSystem } from '../harness/system.ts'
import { WAIT, attr, launchBrowser, openPage, shot, signIn } from './webBrowser.ts'

// The opt-in sound and browser notification for critical alerts, in Debian's chromium against
// the whole node: alerts raised by real device messages over MQTT. The browser's AudioContext
// and Notification are replaced at the page boundary (addInitScript) by recorders — a headless
// browser has no speaker and shows no notification — so the test sees every tone and every
// notification the page asks for.

// The page's globals, for the functions that run there (the root tsconfig has no DOM types).
declare const window: unknown
declare const sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void }

let browser: Browser
beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

interface Recorded {
  tones: number
  notes: { title: string; body: string; tag: string }[]
  permissionAsked: number
}

/** Runs in the page before its scripts: recorders in place of Web Audio and Notification. */
function recorders(): void {
  const rec: Recorded = { tones: 0, notes: [], permissionAsked: 0 }
  const w = window as Record<string, unknown>
  w.__sound = rec
  const param = { setValueAtTime() {}, exponentialRampToValueAtTime() {}, value: 0 }
  const node = () => ({ connect: (n: unknown) => n, frequency: param, gain: param, type: 'sine' })
  w.AudioContext = class {
    state = 'running'
    currentTime = 0
    destination = {}
    resume() {
      return Promise.resolve()
    }
    createGain() {
      return node()
    }
    createOscillator() {
      return {
        ...node(),
        start() {
          rec.tones++
        },
        stop() {}
      }
    }
  }
  // A granted permission lasts across reloads, as the browser's does.
  const N = class {
    static permission = sessionStorage.getItem('test.permission') ?? 'default'
    static requestPermission() {
      rec.permissionAsked++
      N.permission = 'granted'
      sessionStorage.setItem('test.permission', 'granted')
      return Promise.resolve('granted')
    }
    constructor(title: string, o: { body: string; tag: string }) {
      rec.notes.push({ title, body: o.body, tag: o.tag })
    }
  }
  w.Notification = N
}

const recorded = (context: BrowserContext): Promise<Recorded> =>
  context.pages()[0]!.evaluate(() => (window as unknown as { __sound: Recorded }).__sound)

const ticket = (ticketId: string, netKg: number) => ({
  ts: new Date(Date.now() - 30_000).toISOString(),
  ticketId,
  direction: 'in',
  stream: 'residual',
  grossKg: 10_000 + netKg,
  tareKg: 10_000,
  netKg,
  plate: '苏B12345'
})

/** bin-1 at 125 %: a critical bin-overflow alert. */
async function overflow(t: TestSystem): Promise<void> {
  const fill = await t.device('fill-1')
  await fill.publishAsync(deviceTopic('fill-1', 'fill'), JSON.stringify({ ts: Date.now() - 1_000, fillPct: 125 }), {
    qos: 1
  })
}

/** 100 t into sc-1 (a sorting centre of 80 t/day): it will not clear, a critical alert. */
async function swamp(t: TestSystem): Promise<void> {
  const wb2 = await t.device('wb-2')
  await wb2.publishAsync(deviceTopic('wb-2', 'weighing'), JSON.stringify(ticket('T-sound-1', 100_000)), { qos: 1 })
}

describe('critical alert sound and notification (opt-in)', () => {
  it(
    'when on, sounds and notifies for each new critical alert, not for those open at load',
    {
      timeout: 180_000
    },
    async () => {
      const t = await withSystem()
      const operator = await t.token('operator')
      const { page, context, problems } = await openPage(browser, t)
      await context.addInitScript(recorders)
      await page.reload()
      await signIn(page, operator)
      // Off by default; switching on asks for the notification permission (the click is the gesture).
      await attr(page, '#alert-sound', 'data-on', 'false')
      await page.locator('#alert-sound').click()
      await attr(page, '#alert-sound', 'data-on', 'true')
      expect((await recorded(context)).permissionAsked).toBe(1)

      // A bin overflows: one tone, one notification naming the bin's alert.
      await overflow(t)
      await page.waitForFunction(
        () => (window as unknown as { __sound: Recorded }).__sound.notes.length > 0,
        null,
        WAIT
      )
      let rec = await recorded(context)
      expect(rec.tones).toBe(1)
      expect(rec.notes).toHaveLength(1)
      expect(rec.notes[0]!.title).toBe('清运 · 严重告警')
      expect(rec.notes[0]!.body).toContain('梁溪区厨余垃圾桶 1 号已满溢')
      const binAlert = rec.notes[0]!.tag
      await shot(page, '60-alert-sound-on')

      // The choice survives a reload; the overflow, open at load, does not sound again. A new
      // critical alert (a site that will not clear) does.
      await page.reload()
      await page.locator('#conn[data-state="open"]').waitFor(WAIT)
      await attr(page, '#alert-sound', 'data-on', 'true')
      await swamp(t)
      await page.waitForFunction(
        () => (window as unknown as { __sound: Recorded }).__sound.notes.length > 0,
        null,
        WAIT
      )
      rec = await recorded(context)
      expect(rec.tones).toBe(1)
      expect(rec.notes.map((n) => n.tag)).not.toContain(binAlert)
      expect(rec.notes.some((n) => n.body.includes('新吴区测试分拣中心'))).toBe(true)
      expect(problems).toEqual([])
    }
  )

  it('when off (the default), a new critical alert neither sounds nor notifies', { timeout: 180_000 }, async () => {
    const t = await withSystem()
    const operator = await t.token('operator')
    const { page, context, problems } = await openPage(browser, t, '#/alerts')
    await context.addInitScript(recorders)
    await page.reload()
    await signIn(page, operator)
    await attr(page, '#alert-sound', 'data-on', 'false')
    await overflow(t)
    // The alert reaches the page (the alerts view shows it) …
    await page.locator('#alerts-table tbody tr.alert[data-subject="bin-1"]').waitFor(WAIT)
    // … and nothing was played or shown.
    const rec = await recorded(context)
    expect(rec).toEqual({ tones: 0, notes: [], permissionAsked: 0 })
    await shot(page, '61-alert-sound-off')
    expect(problems).toEqual([])
  })
})
