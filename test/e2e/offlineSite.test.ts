// Offline alerts grouped per site, on the whole node: a second weighbridge is added to the
// transfer station ts-1 with the real CLI command beside the running node (the node reloads its
// registry), both of the site's weighbridges report over real MQTT and disconnect, and the node
// raises one alert naming the site and counting its devices — not one per weighbridge. A lone
// silent tracker elsewhere still gets its own.
import mqtt from 'mqtt'
import { describe, expect, it } from 'vitest'
import type { Alert } from '../../contracts/ops.ts'
import { deviceTopic } from '../../contracts/topics.ts'
import { devicesCommand } from '../../cli/commands/devices.ts'
import { captureStreams } from '../fixtures/streams.ts'
import { withSystem } from '../harness/system.ts'

const poll = async <T>(what: string, get: () => Promise<T | undefined>, ms = 60_000): Promise<T> => {
  const end = Date.now() + ms
  for (;;) {
    const v = await get()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe('device-offline grouped per site', { timeout: 120_000 }, () => {
  it("a site's devices going silent together raise one alert naming the site, with its devices", async () => {
    const t = await withSystem()
    const admin = await t.token('admin')
    // Offline right after their last message; a district needs 5 to group, so 梁溪's two
    // weighbridges are grouped by their site, not their district.
    const rules = await t.api('/api/v1/admin/rules', admin, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ offlineAfterMs: { weighbridge: 1, 'gps-tracker': 1 }, offlineGroupMin: 5 })
    })
    expect(rules.status).toBe(200)

    const io = captureStreams()
    const code = await devicesCommand(['add', 'wb-3', '--type', 'weighbridge', '--site', 'ts-1'], {
      registryPath: t.registryPath,
      stdout: io.stdout,
      stderr: io.stderr
    })
    expect(code, io.err()).toBe(0)
    const token = io.out().trimEnd().split('\n').pop()!
    // The node picks the new device up when it reloads the registry.
    const wb3 = await poll('wb-3 accepted by the node', () =>
      mqtt.connectAsync(t.mqttUrl, { username: 'wb-3', password: token, reconnectPeriod: 0 }).then(
        (c) => c,
        () => undefined
      )
    )
    const clients = [wb3, await t.device('wb-1'), await t.device('gps-2')]
    const ids = ['wb-3', 'wb-1', 'gps-2']
    await Promise.all(
      clients.map((c, i) =>
        c.publishAsync(deviceTopic(ids[i]!, 'status'), JSON.stringify({ ts: Date.now() - 2_000, batteryPct: 80 }), {
          qos: 1
        })
      )
    )
    await Promise.all(clients.map((c) => c.endAsync()))
    await t.forwarded()

    const viewer = await t.token('viewer')
    const offline = await poll('the offline alerts', async () => {
      const { body } = await t.api<Alert[]>('/api/v1/alerts?type=device-offline', viewer)
      const open = body.filter((a) => a.state === 'open')
      return open.some((a) => a.subject.kind === 'site') && open.some((a) => a.subject.id === 'gps-2')
        ? open
        : undefined
    })
    const site = offline.find((a) => a.subject.kind === 'site')!
    expect(site.subject.id).toBe('ts-1')
    expect(site.severity).toBe('warning')
    expect(site.members?.map((m) => m.id)).toEqual(['wb-1', 'wb-3'])
    expect(site.details.count).toBe(2)
    expect(site.message).toContain('梁溪区测试转运站')
    expect(site.message).toContain('2 台设备离线')
    expect(site.district).toBe('梁溪')
    // Not also one per weighbridge; the lone tracker alone.
    expect(offline.map((a) => a.subject.id).sort()).toEqual(['gps-2', 'ts-1'])
  })
})
