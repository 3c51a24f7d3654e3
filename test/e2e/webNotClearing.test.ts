// The city view names the site the simulator makes fail: a small city (3 sites of 梁溪) runs a
// whole day over real MQTT into the real node with one site picked as not clearing
// (`qingyun sim city --not-clearing 1`; here `startCity` in-process), and Debian's chromium finds
// that site's name in the exceptions list as will not clear. The node's clock stands at the end
// of that day (as the demo's catch-up runs it, devices-sim/demo.ts), past every cut-off, so
// the statuses are final whatever the time of the run.
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EMPTY_USERS, addUser, writeUsers } from '../../dashboard-api/auth/usersFile.ts'
import { pickNotClearing } from '../../devices-sim/city/shipments.ts'
import { subsetRegistry } from '../../devices-sim/city/subset.ts'
import { startCity } from '../../devices-sim/run/city.ts'
import { FaultOptions } from '../../devices-sim/run/faults.ts'
import { parseConfig } from '../../lib/config.ts'
import { addDays, localDate, startOfLocalDay } from '../../lib/time.ts'
import { startSystem, type System } from '../../node/system.ts'
import { loadRegistry, saveRegistry } from '../../registry/load.ts'
import { SAMPLE_PATH } from '../../registry/sample/generate.ts'
import { issueDeviceTokens } from '../../registry/seed.ts'
import { createTestDatabase, type TestDatabase } from '../harness/influxdb.ts'
import { WAIT, attr, contains, launchBrowser, openPage, shot, signIn } from './webBrowser.ts'

const TZ = 'Asia/Shanghai'
const SEED = 5
const log = pino({ level: process.env.QINGYUN_TEST_LOG_LEVEL ?? 'silent' })

let browser: Browser
let system: System | undefined
let db: TestDatabase | undefined
let dir: string | undefined
beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await system?.stop()
  await db?.drop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('the city view names the site that will not clear', () => {
  it('finds the not-clearing site of a simulated day in the exceptions list', { timeout: 240_000 }, async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-notclearing-'))
    const { registry, credentials } = issueDeviceTokens(subsetRegistry(await loadRegistry(SAMPLE_PATH)))
    await saveRegistry(path.join(dir, 'registry.json'), registry)
    const users = addUser(EMPTY_USERS, 'ops', 'operator', Date.now())
    await writeUsers(path.join(dir, 'users.json'), users.file)
    db = await createTestDatabase('notclearing')
    const auth = db.auth
    // Yesterday, with the node's clock at its 23:59:30: after every cut-off (20:00), after the
    // evening clearance of the sites that do clear.
    const date = addDays(localDate(Date.now(), TZ), -1)
    const nodeNow = startOfLocalDay(addDays(date, 1), TZ) - 30_000
    system = await startSystem(
      parseConfig({
        QINGYUN_BIND_HOST: '127.0.0.1',
        QINGYUN_MQTT_PORT: '0',
        QINGYUN_MQTT_WS_PORT: '0',
        QINGYUN_HTTP_PORT: '0',
        QINGYUN_DATA_DIR: dir,
        QINGYUN_REGISTRY: path.join(dir, 'registry.json'),
        QINGYUN_USERS: path.join(dir, 'users.json'),
        QINGYUN_INFLUX_URL: db.url,
        QINGYUN_INFLUX_DB: db.db,
        QINGYUN_TZ: TZ,
        ...(auth && 'token' in auth ? { QINGYUN_INFLUX_TOKEN: auth.token } : {}),
        ...(auth && 'username' in auth
          ? { QINGYUN_INFLUX_USERNAME: auth.username, QINGYUN_INFLUX_PASSWORD: auth.password }
          : {})
      }),
      log,
      { now: () => nodeNow, simulated: true }
    )
    const run = startCity({
      mqttUrl: `mqtt://127.0.0.1:${system.broker.mqttPort}`,
      credentials,
      registry,
      date,
      tz: TZ,
      seed: SEED,
      speed: 20_000,
      city: { gpsIntervalS: 120, fillIntervalS: 1800, notClearing: 1 },
      faults: FaultOptions.parse({}),
      tickMs: 50,
      log
    })
    const truth = await run.done
    const sent = truth.devices.reduce((a, d) => a + d.sent, 0)
    expect(truth.devices.reduce((a, d) => a + d.acked, 0)).toBe(sent)

    // The simulator's pick, by the same seeded rule.
    const [failing] = [...pickNotClearing(registry.sites, SEED, 1)]
    const site = registry.sites.find((s) => s.id === failing)!

    const { page, problems } = await openPage(browser, {
      httpUrl: `http://127.0.0.1:${system.httpPort}`
    } as Parameters<typeof openPage>[1])
    await signIn(page, users.token)
    const row = `#city-exceptions tbody tr[data-site="${site.id}"]`
    await page.locator(row).waitFor(WAIT)
    await attr(page, row, 'data-status', 'will-not-clear')
    await contains(page, row, site.name)
    // It is the only one: the others cleared in the evening.
    expect(await page.locator('#city-exceptions tbody tr[data-status="will-not-clear"]').count()).toBe(1)
    await shot(page, '62-city-not-clearing')
    expect(problems).toEqual([])
  })
})
