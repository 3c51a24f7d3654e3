// `qingyun start --demo` as a real process on the small test registry: today is backfilled up
// to now before the city runs live, and the node sees that day as it happened — no device
// looks silent, nothing backfilled counts as late, the city has tonnes within the first minute,
// and the city view says it is simulated.
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { Alert, CitySummary, CompletenessRow, DeviceView } from '../../contracts/ops.ts'
import { localMinuteOfDay } from '../../dashboard-api/fold/time.ts'
import { saveRegistry } from '../../registry/load.ts'
import { testRegistry } from '../fixtures/registry.ts'
import { createTestDatabase } from '../harness/influxdb.ts'
import { BIN, makeDataDir, spawnNode, until } from '../harness/node.ts'

const TZ = 'Asia/Shanghai'

describe('qingyun start --demo', { timeout: 180_000 }, () => {
  it('backfills today up to now: no device offline for want of data, no late data, tonnes within a minute', async () => {
    const dataDir = await makeDataDir()
    // The test registry, and its device tokens for the demo to drive them with.
    const { registry, tokens } = testRegistry()
    await saveRegistry(path.join(dataDir, 'registry.json'), registry)
    const devices = Object.fromEntries(Object.entries(tokens).filter(([id]) => !id.startsWith('svc-')))
    await writeFile(path.join(dataDir, 'device-credentials.json'), JSON.stringify(devices), { mode: 0o600 })
    const db = await createTestDatabase('demo')
    onTestFinished(() => db.drop())
    const auth = db.auth
    const t0 = Date.now()
    const node = spawnNode(dataDir, {
      args: [BIN, 'start', '--demo'],
      env: {
        QINGYUN_INFLUX_URL: db.url,
        QINGYUN_INFLUX_DB: db.db,
        ...(auth && 'token' in auth ? { QINGYUN_INFLUX_TOKEN: auth.token } : {}),
        ...(auth && 'username' in auth
          ? { QINGYUN_INFLUX_USERNAME: auth.username, QINGYUN_INFLUX_PASSWORD: auth.password }
          : {})
      }
    })
    await node.ready()
    const http = /operations page\s+(http:\S+?)\/?\n/.exec(node.err())![1]!
    const token = /sign in with this operator token:\n\s+(\S+)/.exec(node.err())![1]!
    const api = async <T>(p: string): Promise<T> => {
      const res = await fetch(`${http}${p}`, { headers: { authorization: `Bearer ${token}` } })
      expect(res.status).toBe(200)
      return (await res.json()) as T
    }
    await until(
      'the demo caught up with the clock',
      () => node.logs().some((l) => l.msg === 'caught up with the clock'),
      60_000
    )
    const caughtUpS = (Date.now() - t0) / 1000
    // Logs are JSON lines when stdout is not a terminal, and no line per successful request.
    expect(node.logs().length).toBeGreaterThan(0)

    const city = await api<CitySummary>('/api/v1/city')
    expect(city.simulated).toBe(true)
    // The test city's first ticket is at about 02:14 local time.
    if (localMinuteOfDay(Date.now(), TZ) >= 3 * 60) expect(city.inT).toBeGreaterThan(0)
    expect(caughtUpS).toBeLessThan(60)

    // Every device the day has driven so far was seen recently enough for its type: the fill
    // sensor (every 5 min, offline after 1 h) and the weighbridges (hourly heartbeats, after 6 h)
    // are online; a tracker may be off duty (offline after 10 min) only with data that old.
    // Early in the day a device may not have reported yet (its first heartbeat comes within the
    // first hour): never seen is never offline, and it must have been seen once its interval is
    // past (a minute's margin for the catch-up's last step).
    const now = Date.now()
    const minute = localMinuteOfDay(now, TZ)
    const firstReportWithinMin: Record<string, number> = { weighbridge: 60, 'fill-sensor': 5 }
    const view = await api<DeviceView[]>('/api/v1/devices')
    for (const d of view) {
      if (d.type === 'gps-tracker') continue
      if (minute > (firstReportWithinMin[d.type] ?? 0) + 1) expect(d.lastSeenAt, d.deviceId).not.toBeNull()
      expect(d.offline, d.deviceId).toBe(false)
    }
    const alerts = await api<Alert[]>('/api/v1/alerts')
    const offline = alerts.filter((a) => a.type === 'device-offline' && a.state === 'open')
    for (const a of offline) {
      const d = view.find((x) => x.deviceId === a.subject.id)!
      expect(d.type, a.subject.id).toBe('gps-tracker')
      expect(now - d.lastSeenAt!).toBeGreaterThan(10 * 60_000)
    }
    // Backfilled data carries its own event time and is not late.
    const rows = await api<CompletenessRow[]>('/api/v1/completeness?by=device')
    expect(rows.reduce((s, r) => s + r.accepted, 0)).toBeGreaterThan(0)
    expect(rows.map((r) => [r.key, r.late])).toEqual(rows.map((r) => [r.key, 0]))

    process.kill(node.child.pid!, 'SIGTERM')
    expect(await node.exited).toBe(0)
    // No log line per successful HTTP request at info.
    // (Fastify's request lines carry a reqId.)
    expect(node.logs().filter((l) => 'reqId' in l && Number(l.level) >= 30)).toEqual([])
  })
})
