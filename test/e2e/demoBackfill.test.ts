// The demo's catch-up handed straight to the node's ingest (no MQTT): a small city's today up to
// now goes in under the demo clock, as `qingyun start --demo` does it, and then what `qingyun sim
// verify` checks finds no difference against InfluxDB and the REST API — tonnes to the kilogram,
// objects per device — and nothing backfilled counts as late. The trackers' fixes of the hours
// it replays come once a minute (live: every 15 s), and no tracker looks silent for it.
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import type { Alert, CompletenessRow, DeviceView } from '../../contracts/ops.ts'
import { EMPTY_USERS, addUser, writeUsers } from '../../dashboard-api/auth/usersFile.ts'
import { subsetRegistry } from '../../devices-sim/city/subset.ts'
import { createDemoClock, demoClockStart, directIngest } from '../../devices-sim/demo.ts'
import { startCity } from '../../devices-sim/run/city.ts'
import { FaultOptions } from '../../devices-sim/run/faults.ts'
import { verifyInflux } from '../../devices-sim/verify/influx.ts'
import { verifyRest } from '../../devices-sim/verify/rest.ts'
import { rows as influxRows } from '../../influx/client.ts'
import { MEASUREMENT as M, TAG as T } from '../../influx/schema/names.ts'
import { parseConfig } from '../../lib/config.ts'
import { localDate } from '../../lib/time.ts'
import { startSystem, type System } from '../../node/system.ts'
import { loadRegistry, saveRegistry } from '../../registry/load.ts'
import { SAMPLE_PATH } from '../../registry/sample/generate.ts'
import { issueDeviceTokens } from '../../registry/seed.ts'
import { createTestDatabase, type TestDatabase } from '../harness/influxdb.ts'

const TZ = 'Asia/Shanghai'
const log = pino({ level: process.env.QINGYUN_TEST_LOG_LEVEL ?? 'silent' })

let system: System | undefined
let db: TestDatabase | undefined
let dir: string | undefined
afterAll(async () => {
  await system?.stop()
  await db?.drop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('the demo catch-up straight into ingest', () => {
  it('backfills today up to now with numbers that verify and nothing late', { timeout: 240_000 }, async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-backfill-'))
    const { registry, credentials } = issueDeviceTokens(subsetRegistry(await loadRegistry(SAMPLE_PATH)))
    await saveRegistry(path.join(dir, 'registry.json'), registry)
    const users = addUser(EMPTY_USERS, 'ops', 'operator', Date.now())
    await writeUsers(path.join(dir, 'users.json'), users.file)
    db = await createTestDatabase('backfill')
    const auth = db.auth
    const clock = createDemoClock(demoClockStart(TZ))
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
      { now: clock.now, simulated: true }
    )
    const sys = system
    let received = 0
    const startedAt = Date.now()
    let caughtUp: () => void = () => {}
    const live = new Promise<void>((r) => (caughtUp = r))
    const run = startCity({
      mqttUrl: `mqtt://127.0.0.1:${sys.broker.mqttPort}`,
      credentials,
      registry,
      date: localDate(Date.now(), TZ),
      tz: TZ,
      seed: 3,
      speed: 60,
      city: { gpsIntervalS: 15, fillIntervalS: 600, notClearing: 1 },
      faults: FaultOptions.parse({}),
      tickMs: 50,
      log,
      backfill: {
        stepMs: 9 * 60_000,
        advance: (t) => clock.advance(t),
        release: () => clock.release(),
        positionEveryMs: 60_000,
        fillEveryMs: 30 * 60_000,
        ingest: directIngest((msg) => {
          received++
          return sys.ingest.handle(msg)
        }, clock)
      },
      // The first tick of the live run comes once the catch-up is done.
      onProgress: () => caughtUp()
    })
    await live
    const truth = await run.stop(5000)
    const sent = truth.devices.reduce((a, d) => a + d.sent, 0)
    expect(truth.devices.reduce((a, d) => a + d.acked, 0)).toBe(sent)
    // The catch-up's messages all went straight in (the live tick after it may add a few over MQTT).
    expect(received).toBeGreaterThan(0)
    expect(received).toBeLessThanOrEqual(sent)

    await sys.store.forwarder.forwardedTo(sys.store.spool.stats().appendedSeq)
    const influx = await verifyInflux(truth, db.client)
    expect(influx.differences).toEqual([])
    expect(influx.checked).toBeGreaterThan(10)
    const rest = await verifyRest(truth, { api: `http://127.0.0.1:${sys.httpPort}`, token: users.token })
    expect(rest.differences).toEqual([])

    const res = await fetch(`http://127.0.0.1:${sys.httpPort}/api/v1/completeness?by=device`, {
      headers: { authorization: `Bearer ${users.token}` }
    })
    const rows = (await res.json()) as CompletenessRow[]
    expect(rows.reduce((s, r) => s + r.accepted, 0)).toBeGreaterThan(0)
    expect(rows.map((r) => [r.key, r.late])).toEqual(rows.map((r) => [r.key, 0]))

    // Each device's points of `measurement` before the run started are `everyMs` apart; returns
    // how many spacings were checked.
    const client = db.client
    const spacedBefore = async (measurement: string, field: string, everyMs: number): Promise<number> => {
      const points = influxRows(
        (
          await client.query(
            `SELECT ${T.device}, ${field} FROM ${measurement} WHERE time < ${BigInt(startedAt) * 1_000_000n}`,
            { epoch: 'ms' }
          )
        )[0]
      )
      const last = new Map<string, number>()
      let checked = 0
      for (const r of points) {
        const id = String(r[T.device])
        const t = Number(r.time)
        const prev = last.get(id)
        if (prev !== undefined) {
          checked++
          expect(t - prev, id).toBe(everyMs)
        }
        last.set(id, t)
      }
      return checked
    }
    // Fixes: a minute apart on every tracker (live, 15 s apart).
    const gaps = await spacedBefore(M.position, 'lat', 60_000)
    // Bins' readings: 30 min apart (live, 10 min here).
    const fillGaps = await spacedBefore(M.fill, 'fill_pct', 30 * 60_000)
    if (Date.now() - demoClockStart(TZ) > 3 * 3_600_000) expect(fillGaps).toBeGreaterThan(0)
    // No tracker looks silent for fewer fixes: an offline alert only for one off duty for 10 min.
    const get = async <T>(p: string): Promise<T> => {
      const r = await fetch(`http://127.0.0.1:${sys.httpPort}${p}`, {
        headers: { authorization: `Bearer ${users.token}` }
      })
      return (await r.json()) as T
    }
    const view = await get<DeviceView[]>('/api/v1/devices')
    const alerts = await get<Alert[]>('/api/v1/alerts')
    // Each member had been silent for the threshold when it joined its alert. A grouped alert
    // keeps the time it opened while devices join it at later evaluations, and each change of
    // its members moves `updatedAt` to that evaluation, so every member listed had been silent
    // for the threshold by `updatedAt` (for a device alone, openedAt ≤ updatedAt). A member
    // heard from again since (a truck back on its round; the alert resolves at the next
    // evaluation) says nothing of that silence: only the members still silent are checked.
    for (const a of alerts.filter((x) => x.type === 'device-offline')) {
      for (const id of a.members?.map((m) => m.id) ?? [a.subject.id]) {
        const d = view.find((x) => x.deviceId === id)!
        if (d.lastSeenAt! <= a.updatedAt) expect(a.updatedAt - d.lastSeenAt!, id).toBeGreaterThanOrEqual(10 * 60_000)
      }
    }
    // By noon, trucks have been on their rounds for hours.
    if (Date.now() - demoClockStart(TZ) > 12 * 3_600_000) expect(gaps).toBeGreaterThan(0)
  })
})
