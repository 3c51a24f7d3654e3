// Devices managed over the admin REST on a running node: a device added there connects with
// the token shown once and is seen by the live model; a revoke cuts its session and refuses its
// next CONNECT; a rotate retires the old token; every refused change names its field. Real
// `qingyun devices add` processes race REST adds on the same registry and nothing is lost.
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import mqtt from 'mqtt'
import { describe, expect, it, vi } from 'vitest'
import { deviceTopic } from '../../contracts/topics.ts'
import { loadRegistry } from '../../registry/load.ts'
import { hashToken } from '../../registry/tokens.ts'
import { nextEvent } from '../harness/mqtt.ts'
import { type TestSystem, withSystem } from '../harness/system.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const exec = promisify(execFile)

const json = (method: string, body?: unknown): RequestInit => ({
  method,
  ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
})
const status = () => JSON.stringify({ ts: new Date(Date.now() - 1000).toISOString(), batteryPct: 80 })

interface Added {
  device: { id: string; enabled: boolean; hasToken: boolean; lastSeenAt: number | null; refName: string | null }
  token: string
}

const connect = (t: TestSystem, id: string, password: string) =>
  mqtt.connectAsync(t.mqttUrl, { username: id, password, clientId: `${id}-${Math.random()}`, reconnectPeriod: 0 })

describe('admin REST: devices', () => {
  it('adds a device whose token connects once, revokes it (session cut, CONNECT refused), rotates', async () => {
    const t = await withSystem()
    const admin = await t.token('admin')
    const operator = await t.token('operator')
    expect((await t.api('/api/v1/admin/devices', operator)).status).toBe(403)
    expect(
      (await t.api('/api/v1/admin/devices', operator, json('POST', { id: 'x', type: 'weighbridge', siteId: 'ts-1' })))
        .status
    ).toBe(403)

    const add = await t.api<Added>(
      '/api/v1/admin/devices',
      admin,
      json('POST', { id: 'wb-new', type: 'weighbridge', siteId: 'sc-1' })
    )
    expect(add.status).toBe(201)
    expect(add.body.token).toMatch(/^qyd_[A-Za-z0-9_-]{43}$/)
    expect(add.body.device).toMatchObject({
      id: 'wb-new',
      enabled: true,
      hasToken: true,
      refName: '新吴区测试分拣中心'
    })
    // Only the hash is stored.
    const file = await readFile(t.registryPath, 'utf8')
    expect(file).not.toContain(add.body.token)
    expect(file).toContain(hashToken(add.body.token))

    const client = await connect(t, 'wb-new', add.body.token)
    await client.publishAsync(deviceTopic('wb-new', 'status'), status(), { qos: 1 })
    await vi.waitFor(
      async () => {
        const list = await t.api<{ devices: Added['device'][] }>('/api/v1/admin/devices', admin)
        expect(list.body.devices.find((d) => d.id === 'wb-new')?.lastSeenAt).toEqual(expect.any(Number))
      },
      { timeout: 10_000, interval: 100 }
    )

    // Revoke: the open session is cut and the next CONNECT refused (CONNACK 4, bad credentials).
    const closed = nextEvent(client, 'close')
    const revoked = await t.api<Added['device']>('/api/v1/admin/devices/wb-new/revoke', admin, json('POST'))
    expect(revoked.status).toBe(200)
    expect(revoked.body).toMatchObject({ id: 'wb-new', enabled: false, hasToken: false })
    await closed
    await expect(connect(t, 'wb-new', add.body.token)).rejects.toMatchObject({ code: 4 })

    // Rotate: a new token, enabled again; the first token stays refused.
    const rotated = await t.api<Added>('/api/v1/admin/devices/wb-new/rotate', admin, json('POST'))
    expect(rotated.status).toBe(200)
    expect(rotated.body.device).toMatchObject({ enabled: true, hasToken: true })
    expect(rotated.body.token).not.toBe(add.body.token)
    await expect(connect(t, 'wb-new', add.body.token)).rejects.toMatchObject({ code: 4 })
    const again = await connect(t, 'wb-new', rotated.body.token)
    await again.publishAsync(deviceTopic('wb-new', 'status'), status(), { qos: 1 })
    await again.endAsync()

    // Rotating a connected device's token cuts its session (it connected with the old one).
    const wb1 = await t.device('wb-1')
    const wb1Closed = nextEvent(wb1, 'close')
    expect((await t.api('/api/v1/admin/devices/wb-1/rotate', admin, json('POST'))).status).toBe(200)
    await wb1Closed
    await expect(connect(t, 'wb-1', t.tokens['wb-1']!)).rejects.toMatchObject({ code: 4 })

    expect((await t.api('/api/v1/admin/devices/nope/revoke', admin, json('POST'))).body).toMatchObject({
      error: { code: 'API_E_NOT_FOUND', message: 'no device "nope"' }
    })
  }, 60_000)

  it('names the field of every refused add, and saves nothing', async () => {
    const t = await withSystem()
    const admin = await t.token('admin')
    const before = await readFile(t.registryPath, 'utf8')
    const post = (body: unknown) => t.api('/api/v1/admin/devices', admin, json('POST', body))
    const issue = (path: string, message: unknown = expect.any(String)) => ({
      error: { code: 'API_E_VALIDATION', details: { issues: [{ in: 'body', path, message }] } }
    })

    expect((await post({ id: 'wb-x', type: 'weighbridge' })).body).toMatchObject(
      issue('siteId', 'required for a weighbridge')
    )
    expect((await post({ id: 'wb-x', type: 'weighbridge', siteId: 'ts-1', binId: 'bin-1' })).body).toMatchObject(
      issue('binId', 'a weighbridge is attached with siteId, not binId')
    )
    expect((await post({ id: 'wb-x', type: 'weighbridge', siteId: 'ts-9' })).body).toMatchObject(
      issue('siteId', 'site "ts-9" does not exist (id "wb-x")')
    )
    expect((await post({ id: 'fill-x', type: 'fill-sensor', binId: 'bin-9' })).body).toMatchObject(
      issue('binId', 'bin "bin-9" does not exist (id "fill-x")')
    )
    expect((await post({ id: 'bad/id', type: 'weighbridge', siteId: 'ts-1' })).body).toMatchObject(issue('id'))
    expect((await post({ id: 'wb-x', type: 'toaster', siteId: 'ts-1' })).body).toMatchObject(issue('type'))
    for (const taken of ['wb-1', 'svc-dash']) {
      const dup = await post({ id: taken, type: 'weighbridge', siteId: 'ts-1' })
      expect(dup.status).toBe(409)
      expect(dup.body).toMatchObject({
        error: {
          code: 'API_E_CONFLICT',
          details: { issues: [{ in: 'body', path: 'id', message: 'already registered' }] }
        }
      })
    }
    expect(await readFile(t.registryPath, 'utf8')).toBe(before)
  }, 60_000)

  it('lists a page at a time, filtered by type, site and words; bounds named', async () => {
    const t = await withSystem()
    const admin = await t.token('admin')
    type Page = { total: number; offset: number; devices: { id: string }[] }
    const list = async (qs: string) => {
      const r = await t.api<Page>(`/api/v1/admin/devices${qs}`, admin)
      expect(r.status, JSON.stringify(r.body)).toBe(200)
      return { total: r.body.total, ids: r.body.devices.map((d) => d.id) }
    }
    expect(await list('')).toEqual({ total: 5, ids: ['fill-1', 'gps-1', 'gps-2', 'wb-1', 'wb-2'] })
    expect(await list('?type=gps-tracker')).toEqual({ total: 2, ids: ['gps-1', 'gps-2'] })
    expect(await list('?siteId=sc-1')).toEqual({ total: 1, ids: ['wb-2'] })
    expect(await list(`?q=${encodeURIComponent('苏BD')}`)).toEqual({ total: 1, ids: ['gps-2'] })
    expect(await list('?q=WB%20%E6%A2%81%E6%BA%AA')).toEqual({ total: 1, ids: ['wb-1'] })
    expect(await list('?limit=2&offset=2')).toEqual({ total: 5, ids: ['gps-2', 'wb-1'] })
    for (const [qs, field] of [
      ['?limit=501', 'limit'],
      ['?limit=0', 'limit'],
      ['?offset=-1', 'offset'],
      ['?type=toaster', 'type'],
      [`?q=${'x'.repeat(65)}`, 'q'],
      ['?color=red', '']
    ] as const) {
      const r = await t.api(`/api/v1/admin/devices${qs}`, admin)
      expect(r.status, qs).toBe(400)
      expect(r.body, qs).toMatchObject({
        error: { code: 'API_E_VALIDATION', details: { issues: [expect.objectContaining({ path: field })] } }
      })
    }
  }, 60_000)

  it('keeps every device when N `qingyun devices add` processes race N REST adds', async () => {
    const t = await withSystem()
    const admin = await t.token('admin')
    const N = 5
    const cli = (i: number) =>
      exec(
        process.execPath,
        ['bin/qingyun.mjs', 'devices', 'add', `cli-${i}`, '--type', 'fill-sensor', '--bin', 'bin-1'],
        {
          cwd: root,
          env: { ...process.env, QINGYUN_REGISTRY: t.registryPath, QINGYUN_DATA_DIR: t.dataDir },
          // Generous: on a loaded machine a tsx start alone can take several seconds.
          timeout: 150_000
        }
      )
    let cliRunning = true
    const cliRuns = Promise.all(Array.from({ length: N }, (_, i) => cli(i))).finally(() => {
      cliRunning = false
    })
    // REST adds keep coming, one every ~100 ms, for as long as the CLI processes run (each
    // starts tsx first, so they land seconds later and among the REST ones), N at least.
    const rest = async (): Promise<string[]> => {
      const added: string[] = []
      while (cliRunning || added.length < N) {
        await new Promise((r) => setTimeout(r, 100))
        const id = `rest-${added.length}`
        const r = await t.api(
          '/api/v1/admin/devices',
          admin,
          json('POST', { id, type: 'gps-tracker', vehicleId: 'veh-1' })
        )
        expect(r.status).toBe(201)
        added.push(id)
      }
      return added
    }
    const [runs, restIds] = await Promise.all([cliRuns, rest()])
    for (const r of runs) expect(r.stdout).toMatch(/^qyd_/m)

    const want = [...Array.from({ length: N }, (_, i) => `cli-${i}`), ...restIds]
    const ids = (await loadRegistry(t.registryPath)).devices.map((d) => d.id)
    expect(ids).toEqual(expect.arrayContaining(want))
    expect(ids.filter((id) => id.startsWith('cli-') || id.startsWith('rest-'))).toHaveLength(want.length)
    if (process.env.QINGYUN_TEST_SHOW_ORDER) console.log(ids.join(' '))
    // And the running node's list has all 2N (the CLI's by the store's hot reload).
    await vi.waitFor(
      async () => {
        const list = await t.api<{ devices: { id: string }[] }>('/api/v1/admin/devices?limit=500', admin)
        expect(list.body.devices.map((d) => d.id)).toEqual(expect.arrayContaining(want))
      },
      { timeout: 10_000, interval: 100 }
    )
  }, 300_000)
})
