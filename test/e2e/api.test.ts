import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import Fastify, { type FastifyBaseLogger } from 'fastify'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import { pino } from 'pino'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { usersCommand } from '../../cli/commands/users.ts'
import { CitySummary, DailyRow, SiteBalance } from '../../contracts/ops.ts'
import { createUserStore, type UserStore } from '../../dashboard-api/auth/users.ts'
import { inProcessFacts } from '../../dashboard-api/factSource.ts'
import { createAlertEngine } from '../../dashboard-api/alerts/engine.ts'
import { alertRules } from '../../dashboard-api/alerts/schedule.ts'
import { createModel } from '../../dashboard-api/model/model.ts'
import type { Model } from '../../dashboard-api/model/types.ts'
import { parseCsv } from '../../dashboard-api/routes/csv.ts'
import { registerApi } from '../../dashboard-api/routes/index.ts'
import { rows } from '../../influx/client.ts'
import { createWriter } from '../../store/influxWriter.ts'
import { addDays, startOfLocalDay } from '../../lib/time.ts'
import { loadRegistry } from '../../registry/load.ts'
import { createRegistryStore, type RegistryStore } from '../../registry/store.ts'
import { withSystem, type TestSystem } from '../harness/system.ts'

// The REST API on real parts: tickets published over MQTT by mqtt.js into the real broker and
// InfluxDB, folded by the real model, served by a real Fastify app on a loopback port, read
// with real HTTP requests (fetch). Numbers are checked against hand arithmetic and against an
// independent InfluxQL query.

const TZ = 'Asia/Shanghai'
const log = pino({ level: process.env.QINGYUN_TEST_LOG_LEVEL ?? 'silent' })

interface Api {
  readonly base: string
  readonly model: Model
  readonly users: UserStore
  readonly registry: RegistryStore
  readonly usersPath: string
  readonly tokens: { readonly viewer: string; readonly operator: string; readonly admin: string }
  get(path: string, token?: string, headers?: Record<string, string>): Promise<Response>
  send(method: string, path: string, token: string | undefined, body?: unknown): Promise<Response>
}

async function startApi(t: TestSystem): Promise<Api> {
  const registry = await createRegistryStore({ path: t.registryPath, log })
  // The alert engine persists transitions through its own writer, as the node does.
  const writer = createWriter({ client: t.system.influx, log })
  const alerts = createAlertEngine({
    influx: t.system.influx,
    sink: writer,
    log,
    tz: TZ,
    rules: alertRules(registry.current()),
    now: Date.now
  })
  const model = createModel({
    facts: inProcessFacts(t.system.broker),
    stored: () => t.forwarded(),
    influx: t.system.influx,
    registry,
    alerts,
    tz: TZ,
    now: Date.now,
    log,
    alertIntervalMs: 200
  })
  await model.start()
  const usersPath = path.join(t.dataDir, 'users.json')
  const users = await createUserStore({ path: usersPath, log, pollMs: 50 })
  const tokens = {
    viewer: await users.add('vera', 'viewer'),
    operator: await users.add('otto', 'operator'),
    admin: await users.add('ada', 'admin')
  }

  const app = Fastify({ loggerInstance: log as FastifyBaseLogger })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  await registerApi(app, { model, authenticator: users, registryPath: t.registryPath, registry, log })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  onTestFinished(async () => {
    await app.close()
    await model.close()
    await writer.close()
    await users.close()
    await registry.close()
  })
  const auth = (token: string | undefined): Record<string, string> =>
    token === undefined ? {} : { authorization: `Bearer ${token}` }
  return {
    base,
    model,
    users,
    registry,
    usersPath,
    tokens,
    get: (p, token, headers = {}) => fetch(base + p, { headers: { ...auth(token), ...headers } }),
    send: (method, p, token, body) =>
      fetch(base + p, {
        method,
        headers: { ...auth(token), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
  }
}

const ticket = (id: string, direction: 'in' | 'out', netKg: number, extra: Record<string, unknown> = {}) => ({
  ts: Date.now() - 2_000,
  ticketId: id,
  direction,
  stream: 'residual',
  grossKg: netKg + 10_000,
  tareKg: 10_000,
  netKg,
  plate: '苏B12345',
  ...extra
})

async function json<T = unknown>(res: Response): Promise<T> {
  const text = await res.text()
  try {
    return JSON.parse(text) as T
  } catch {
    throw new Error(`not JSON (${res.status}): ${text.slice(0, 300)}`)
  }
}

/** Σ net of today's tickets at a site, straight from InfluxDB (an independent recomputation). */
async function influxTonnes(t: TestSystem, siteId: string, direction: 'in' | 'out', day: string): Promise<number> {
  const from = startOfLocalDay(day, TZ)
  await t.forwarded() // acknowledged means durable in the spool; InfluxDB follows
  const [result] = await t.db.client.query(
    `SELECT sum(net_kg) FROM weighing WHERE site = '${siteId}' AND direction = '${direction}' AND time >= ${from}ms AND time < ${from + 86_400_000}ms`,
    { epoch: 'ms' }
  )
  const [row] = rows(result)
  return Number(row?.sum ?? 0) / 1000
}

async function publishTickets(t: TestSystem): Promise<void> {
  const wb = await t.device('wb-1')
  await wb.publishAsync(
    'v1/devices/wb-1/weighing',
    JSON.stringify([ticket('API-IN-1', 'in', 8_120, { seq: 1 }), ticket('API-IN-2', 'in', 6_400, { seq: 2 })]),
    { qos: 1 }
  )
  const out = JSON.stringify(ticket('API-OUT-1', 'out', 9_000, { seq: 3, plate: '苏BD12345' }))
  await wb.publishAsync('v1/devices/wb-1/weighing', out, { qos: 1 })
  // A retransmission (the same bytes) counts once.
  await wb.publishAsync('v1/devices/wb-1/weighing', out, { qos: 1 })
  // History, tickets and past days are read from InfluxDB, which follows the acks.
  await t.forwarded()
}

describe('REST API on a real system', () => {
  it("serves a site's balance from tickets published over MQTT, equal to InfluxDB's sums", async () => {
    const t = await withSystem()
    const api = await startApi(t)
    await publishTickets(t)
    const day = api.model.today()

    // The fold is live: poll until the committed facts have been folded.
    const balance = await vi.waitFor(
      async () => {
        const res = await api.get('/api/v1/sites/ts-1/balance', api.tokens.viewer)
        expect(res.status).toBe(200)
        const b = SiteBalance.parse(await json(res))
        expect(b.outT).toBe(9)
        return b
      },
      { timeout: 15_000, interval: 100 }
    )
    expect(balance).toMatchObject({
      siteId: 'ts-1',
      day,
      inT: 14.52,
      outT: 9,
      openingT: 0,
      stockT: 5.52,
      ticketsIn: 2,
      ticketsOut: 1,
      capacityTpd: 400
    })
    expect(balance.clearancePct).toBeCloseTo((9 / 14.52) * 100, 1)
    expect(balance.capacityPct).toBeCloseTo((14.52 / 400) * 100, 1)
    expect(balance.inT).toBeCloseTo(await influxTonnes(t, 'ts-1', 'in', day), 3)
    expect(balance.outT).toBeCloseTo(await influxTonnes(t, 'ts-1', 'out', day), 3)

    // The same numbers through ?date=, the list, the city and the hourly series.
    expect(
      SiteBalance.parse(await json(await api.get(`/api/v1/sites/ts-1/balance?date=${day}`, api.tokens.viewer)))
    ).toEqual(balance)
    const sites = await json<SiteBalance[]>(await api.get('/api/v1/sites?district=梁溪', api.tokens.viewer))
    expect(sites.map((s) => s.siteId)).toEqual(['ts-1'])
    expect(sites[0]).toMatchObject({ inT: 14.52, outT: 9 })
    const city = CitySummary.parse(await json(await api.get('/api/v1/city', api.tokens.viewer)))
    expect(city).toMatchObject({ day, inT: 14.52, outT: 9, targetT: 5300 })
    // The retransmission shows as a duplicate in the completeness report, not as tonnes.
    // (The duplicate's fact is folded after the ticket's own, so wait for it too.)
    await vi.waitFor(
      async () => {
        const completeness = await json<{ key: string; accepted: number; duplicates: number; missing: number }[]>(
          await api.get(`/api/v1/completeness?date=${day}&by=device`, api.tokens.viewer)
        )
        expect(completeness.find((r) => r.key === 'wb-1')).toMatchObject({ accepted: 3, duplicates: 1, missing: 0 })
      },
      { timeout: 15_000, interval: 100 }
    )
    const hourly = await json<{ inT: number; outT: number }[]>(
      await api.get('/api/v1/sites/ts-1/hourly', api.tokens.viewer)
    )
    expect(hourly.reduce((s, h) => s + h.inT, 0)).toBeCloseTo(14.52, 3)
    expect(hourly.reduce((s, h) => s + h.outT, 0)).toBeCloseTo(9, 3)
  })

  it('exports history as RFC 4180 CSV that parses back to the JSON numbers', async () => {
    const t = await withSystem()
    const api = await startApi(t)
    await publishTickets(t)
    const day = api.model.today()
    await vi.waitFor(
      async () => {
        const b = await json<SiteBalance>(await api.get('/api/v1/sites/ts-1/balance', api.tokens.viewer))
        expect(b.outT).toBe(9)
      },
      { timeout: 15_000, interval: 100 }
    )

    const q = `/api/v1/history?from=${day}&to=${day}&siteId=ts-1`
    const asJson = DailyRow.array().parse(await json(await api.get(q, api.tokens.viewer)))
    expect(asJson).toEqual([
      expect.objectContaining({ day, siteId: 'ts-1', inT: 14.52, outT: 9, openingT: 0, stockT: 5.52 })
    ])

    for (const res of [
      await api.get(`${q}&format=csv`, api.tokens.viewer),
      await api.get(q, api.tokens.viewer, { accept: 'text/csv' })
    ]) {
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/)
      expect(res.headers.get('content-disposition')).toBe(
        `attachment; filename="qingyun-history-ts-1-${day}-${day}.csv"`
      )
      const bytes = Buffer.from(await res.arrayBuffer())
      // A UTF-8 BOM first, so Excel reads the names as UTF-8 (fetch's text() would drop it).
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
      const text = bytes.toString('utf8')
      expect(text.endsWith('\r\n')).toBe(true)
      const [header, ...records] = parseCsv(text)
      expect(header).toEqual([
        'day',
        'siteId',
        'siteName',
        'inT',
        'outT',
        'openingT',
        'stockT',
        'clearancePct',
        'capacityPct',
        'cleared'
      ])
      const back = records.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]])))
      expect(back).toEqual(
        asJson.map((row) => ({
          day: row.day,
          siteId: row.siteId,
          siteName: t.registry.sites.find((s) => s.id === row.siteId)!.name,
          inT: String(row.inT),
          outT: String(row.outT),
          openingT: String(row.openingT),
          stockT: String(row.stockT),
          clearancePct: row.clearancePct === null ? '' : String(row.clearancePct),
          capacityPct: row.capacityPct === null ? '' : String(row.capacityPct),
          // Today's clearance is not decided yet.
          cleared: 'in progress'
        }))
      )
    }

    // Chinese headers and values, by parameter or by the browser's Accept-Language; a day
    // without a ticket says so instead of "cleared".
    const week = `/api/v1/history?from=${addDays(day, -2)}&to=${day}&siteId=ts-1&format=csv`
    for (const res of [
      await api.get(`${week}&lang=zh`, api.tokens.viewer),
      await api.get(week, api.tokens.viewer, { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' })
    ]) {
      expect(res.headers.get('content-language')).toBe('zh-CN')
      const [header, ...records] = parseCsv(await res.text())
      expect(header).toEqual([
        '日期',
        '站点编号',
        '站点名称',
        '进站量(吨)',
        '出站量(吨)',
        '期初库存(吨)',
        '期末库存(吨)',
        '清运率(%)',
        '负荷率(%)',
        '日清'
      ])
      const name = t.registry.sites.find((s) => s.id === 'ts-1')!.name
      expect(records.map((r) => [r[0], r[1], r[2], r[9]])).toEqual([
        [addDays(day, -2), 'ts-1', name, '无数据'],
        [addDays(day, -1), 'ts-1', name, '无数据'],
        [day, 'ts-1', name, '进行中']
      ])
    }
    const en = parseCsv(await (await api.get(week, api.tokens.viewer)).text())
    expect(en.slice(1).map((r) => r[9])).toEqual(['no data', 'no data', 'in progress'])

    // Every site, over a week: one row per site and day.
    const all = await json<DailyRow[]>(await api.get(`/api/v1/history?to=${day}`, api.tokens.viewer))
    expect(
      all
        .filter((r) => r.day === day)
        .map((r) => r.siteId)
        .sort()
    ).toEqual(['sc-1', 'ts-1'])
    expect(new Set(all.map((r) => r.day)).size).toBe(7)
  })

  it('validates parameters (400 naming the field), 404s unknown ids, serves /docs to operators', async () => {
    const t = await withSystem()
    const api = await startApi(t)
    const v = api.tokens.viewer

    for (const [url, field] of [
      ['/api/v1/city?date=2025-13-01', 'date'],
      ['/api/v1/sites/ts-1/balance?date=yesterday', 'date'],
      ['/api/v1/history?from=2025-01-01&to=2026-06-01', 'to'],
      ['/api/v1/history?from=2025-02-01&to=2025-01-01', 'from'],
      ['/api/v1/bins?status=full', 'status'],
      ['/api/v1/completeness?by=zone', 'by']
    ] as const) {
      const res = await api.get(url, v)
      expect(res.status, url).toBe(400)
      const body = await json<{ error: { code: string; details: { issues: { path: string }[] } } }>(res)
      expect(body.error.code).toBe('API_E_VALIDATION')
      expect(
        body.error.details.issues.map((i) => i.path),
        url
      ).toContain(field)
    }
    const missing = await api.get('/api/v1/sites/no-such-site/balance', v)
    expect(missing.status).toBe(404)
    expect(await json(missing)).toMatchObject({ error: { code: 'API_E_NOT_FOUND' } })
    expect((await api.get('/api/v1/sites/no-such-site/hourly', v)).status).toBe(404)

    for (const url of [
      '/api/v1/bins',
      '/api/v1/vehicles',
      '/api/v1/devices',
      '/api/v1/alerts',
      '/api/v1/recyclables',
      '/api/v1/completeness?by=site'
    ]) {
      expect((await api.get(url, v)).status, url).toBe(200)
    }
    const devices = await json<{ deviceId: string }[]>(await api.get('/api/v1/devices', v))
    expect(devices.map((d) => d.deviceId).sort()).toEqual(['fill-1', 'gps-1', 'gps-2', 'wb-1', 'wb-2'])

    expect((await api.get('/docs/json')).status).toBe(401)
    const docs = await api.get('/docs/json', v)
    expect(docs.status).toBe(200)
    const doc = await json<{
      openapi: string
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>
      components: { securitySchemes: Record<string, unknown> }
    }>(docs)
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' })
    expect(doc.paths['/api/v1/sites/{id}/balance']?.get?.security).toEqual([{ bearerAuth: [] }])
    expect(Object.keys(doc.paths['/api/v1/alerts/{id}/ack']?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '401', '403', '404'])
    )
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/city', '/api/v1/history', '/api/v1/admin/targets'])
    )
    const ui = await api.get('/docs', v)
    expect(ui.status).toBe(200)
    expect(await ui.text()).toContain('swagger')
  })

  it('authorises every call: 401 without a token, 403 below the role, 429 after 10 failures from one client', async () => {
    const t = await withSystem()
    const api = await startApi(t)
    const none = await api.get('/api/v1/city')
    expect(none.status).toBe(401)
    expect(await json(none)).toMatchObject({ error: { code: 'API_E_AUTH' } })

    const forbidden = await api.get('/api/v1/admin/targets', api.tokens.viewer)
    expect(forbidden.status).toBe(403)
    expect(await json(forbidden)).toMatchObject({ error: { code: 'API_E_FORBIDDEN' } })
    expect((await api.get('/api/v1/admin/targets', api.tokens.operator)).status).toBe(403)
    expect((await api.send('POST', '/api/v1/alerts/nope/ack', api.tokens.viewer)).status).toBe(403)
    expect((await api.send('POST', '/api/v1/alerts/nope/ack', api.tokens.operator)).status).toBe(404)

    // Successful calls are never limited.
    for (let i = 0; i < 15; i++) expect((await api.get('/api/v1/devices', api.tokens.viewer)).status).toBe(200)

    // One failure above (no token); nine more wrong tokens still get 401, the eleventh failure 429.
    const wrong = `qyo_${'x'.repeat(43)}`
    for (let i = 0; i < 9; i++) expect((await api.get('/api/v1/city', wrong)).status, `attempt ${i + 2}`).toBe(401)
    const limited = await api.get('/api/v1/city', wrong)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await json(limited)).toMatchObject({ error: { code: 'API_E_RATE_LIMITED' } })
    // A valid token is never refused for others' failures (auth/guard.ts).
    expect((await api.get('/api/v1/city', api.tokens.viewer)).status).toBe(200)
  })

  it('a revoked user is refused; a user added with `qingyun users add` while running can call at once', async () => {
    const t = await withSystem()
    const api = await startApi(t)
    const stdout = new PassThrough()
    const out: Buffer[] = []
    stdout.on('data', (b: Buffer) => out.push(b))
    expect(
      await usersCommand(['add', 'cli-user', '--role', 'viewer'], {
        usersPath: api.usersPath,
        stdout,
        stderr: new PassThrough()
      })
    ).toBe(0)
    const token = Buffer.concat(out).toString().trim().split('\n').at(-1)!
    // The store notices the file change by itself (watch + poll).
    await vi.waitFor(() => expect(api.users.verify(token)).toEqual({ name: 'cli-user', role: 'viewer' }), {
      timeout: 10_000,
      interval: 50
    })
    expect((await api.get('/api/v1/devices', token)).status).toBe(200)

    expect(
      await usersCommand(['revoke', 'cli-user'], {
        usersPath: api.usersPath,
        stdout: new PassThrough(),
        stderr: new PassThrough()
      })
    ).toBe(0)
    await vi.waitFor(() => expect(api.users.verify(token)).toBeUndefined(), { timeout: 10_000, interval: 50 })
    expect((await api.get('/api/v1/devices', token)).status).toBe(401)
  })

  it('lets an operator acknowledge an alert raised by real data', async () => {
    const t = await withSystem()
    const api = await startApi(t)
    const fill = await t.device('fill-1')
    await fill.publishAsync(
      'v1/devices/fill-1/fill',
      JSON.stringify({ ts: Date.now() - 1_000, seq: 1, fillPct: 125 }),
      { qos: 1 }
    )
    const alert = await vi.waitFor(
      async () => {
        const list = await json<{ id: string; type: string; subject: { id: string } }[]>(
          await api.get('/api/v1/alerts?state=open&type=bin-overflow', api.tokens.viewer)
        )
        const found = list.find((a) => a.subject.id === 'bin-1')
        expect(found).toBeDefined()
        return found!
      },
      { timeout: 15_000, interval: 100 }
    )

    expect(
      (await api.send('POST', `/api/v1/alerts/${encodeURIComponent(alert.id)}/ack`, api.tokens.viewer)).status
    ).toBe(403)
    const acked = await api.send('POST', `/api/v1/alerts/${encodeURIComponent(alert.id)}/ack`, api.tokens.operator)
    expect(acked.status).toBe(200)
    expect(await json(acked)).toMatchObject({
      id: alert.id,
      acknowledgedBy: 'otto',
      acknowledgedAt: expect.any(Number)
    })
    const listed = await json<{ id: string; acknowledgedBy: string | null }[]>(
      await api.get('/api/v1/alerts?type=bin-overflow', api.tokens.viewer)
    )
    expect(listed.find((a) => a.id === alert.id)?.acknowledgedBy).toBe('otto')
  })

  it('admin changes are validated, saved to the registry file and seen by the model after reload', async () => {
    const t = await withSystem()
    const api = await startApi(t)
    const a = api.tokens.admin
    const before = await readFile(t.registryPath, 'utf8')

    // Invalid: 400 naming the field; nothing saved.
    const bad = await api.send('PUT', '/api/v1/admin/sites/ts-1', a, { capacityTpd: -5 })
    expect(bad.status).toBe(400)
    expect(await json(bad)).toMatchObject({
      error: { code: 'API_E_VALIDATION', details: { issues: [{ in: 'body', path: 'capacityTpd' }] } }
    })
    const badRules = await api.send('PUT', '/api/v1/admin/rules', a, { binNeedsServicePct: 95, binOverflowPct: 90 })
    expect(badRules.status).toBe(400)
    expect(
      (await json<{ error: { details: { issues: { path: string }[] } } }>(badRules)).error.details.issues[0]?.path
    ).toBe('binNeedsServicePct')
    const badZone = await api.send('PUT', '/api/v1/admin/zones/old-town', a, {
      name: 'x',
      polygon: [
        [120.3, 31.5],
        [120.3, 31.5],
        [120.3, 31.5]
      ],
      windows: []
    })
    expect(badZone.status).toBe(400)
    expect(await readFile(t.registryPath, 'utf8')).toBe(before)
    expect((await api.send('PUT', '/api/v1/admin/sites/nope', a, { capacityTpd: 10 })).status).toBe(404)

    // Valid: saved, reloaded by the store, served by the model.
    const put = await api.send('PUT', '/api/v1/admin/sites/ts-1', a, {
      capacityTpd: 500,
      toleranceT: 2,
      cutoff: '21:30'
    })
    expect(put.status).toBe(200)
    expect(await json(put)).toEqual({
      id: 'ts-1',
      name: '梁溪区测试转运站',
      capacityTpd: 500,
      toleranceT: 2,
      cutoff: '21:30'
    })
    const saved = await loadRegistry(t.registryPath)
    expect(saved.sites.find((s) => s.id === 'ts-1')).toMatchObject({ capacityTpd: 500, toleranceT: 2, cutoff: '21:30' })
    expect(api.registry.site('ts-1')).toMatchObject({ capacityTpd: 500 })
    await vi.waitFor(
      async () => {
        expect(await json(await api.get('/api/v1/sites/ts-1/balance', api.tokens.viewer))).toMatchObject({
          capacityTpd: 500,
          toleranceT: 2,
          cutoff: '21:30'
        })
      },
      { timeout: 10_000, interval: 100 }
    )

    const targets = await api.send('PUT', '/api/v1/admin/targets', a, {
      dailyTargetT: 6000,
      recyclablesMonthlyT: { paper: 1200, steel: 300 }
    })
    expect(targets.status).toBe(200)
    expect(await json(await api.get('/api/v1/admin/targets', a))).toEqual({
      dailyTargetT: 6000,
      recyclablesMonthlyT: { paper: 1200, steel: 300 }
    })
    const zone = {
      name: '崇安寺老城区',
      polygon: [
        [120.29, 31.57],
        [120.31, 31.57],
        [120.31, 31.59],
        [120.29, 31.59]
      ],
      windows: [{ vehicleTypes: ['compactor'], from: '22:00', to: '06:00' }],
      speedLimitKmh: 20
    }
    expect((await api.send('PUT', '/api/v1/admin/zones/old-town', a, zone)).status).toBe(200)
    expect(await json(await api.get('/api/v1/admin/zones', a))).toEqual([{ id: 'old-town', ...zone }])
    const rules = await json<{ rules: unknown; effective: { binNeedsServicePct: number; binOverflowPct: number } }>(
      await api.send('PUT', '/api/v1/admin/rules', a, { binNeedsServicePct: 85 })
    )
    expect(rules.rules).toEqual({ binNeedsServicePct: 85 })
    expect(rules.effective).toMatchObject({ binNeedsServicePct: 85, binOverflowPct: 100 })

    // A fresh load of the file (what a restarted process sees) has every change.
    const reloaded = await loadRegistry(t.registryPath)
    expect(reloaded.city.dailyTargetT).toBe(6000)
    expect(reloaded.targets?.recyclablesMonthlyT).toEqual({ paper: 1200, steel: 300 })
    expect(reloaded.zones).toEqual([{ id: 'old-town', ...zone }])
    expect(reloaded.rules).toEqual({ binNeedsServicePct: 85 })
    await vi.waitFor(
      async () => {
        expect(await json(await api.get('/api/v1/city', api.tokens.viewer))).toMatchObject({ targetT: 6000 })
      },
      { timeout: 10_000, interval: 100 }
    )

    expect((await api.send('DELETE', '/api/v1/admin/zones/old-town', a)).status).toBe(204)
    expect((await api.send('DELETE', '/api/v1/admin/zones/old-town', a)).status).toBe(404)
    expect((await loadRegistry(t.registryPath)).zones).toEqual([])
  })
})
