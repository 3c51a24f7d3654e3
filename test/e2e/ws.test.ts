import { once } from 'node:events'
import path from 'node:path'
import Fastify, { type FastifyBaseLogger } from 'fastify'
import { pino } from 'pino'
import { describe, expect, it, onTestFinished } from 'vitest'
import WebSocket from 'ws'
import type { SiteBalance } from '../../contracts/ops.ts'
import { WS_PATH, WsCloseCode } from '../../contracts/ws.ts'
import { createUserStore } from '../../dashboard-api/auth/users.ts'
import { inProcessFacts } from '../../dashboard-api/factSource.ts'
import { createModel } from '../../dashboard-api/model/model.ts'
import type { Model } from '../../dashboard-api/model/types.ts'
import { registerWs, type WsHandle, type WsOptionsInput } from '../../dashboard-api/ws/index.ts'
import { rows } from '../../influx/client.ts'
import { createRegistryStore } from '../../registry/store.ts'
import { withSystem, type TestSystem } from '../harness/system.ts'
import { ticket } from '../fixtures/messages.ts'

// The websocket protocol v1 on real parts: mqtt.js → Aedes → ingest → InfluxDB → committed facts
// → the real Model → registerWs on a real Fastify → real `ws` clients. No timed assertions: each
// test waits for the message or close it expects (vitest's timeout is the only clock).

const log = pino({ level: process.env.QINGYUN_TEST_LOG_LEVEL ?? 'silent' })

async function buildModel(t: TestSystem): Promise<Model> {
  const registry = await createRegistryStore({ path: t.registryPath, log })
  onTestFinished(() => registry.close())
  const model = createModel({
    facts: inProcessFacts(t.system.broker),
    stored: () => t.forwarded(),
    influx: t.system.influx,
    registry,
    tz: 'Asia/Shanghai',
    now: Date.now,
    log
  })
  await model.start()
  onTestFinished(() => model.close())
  return model
}

interface Setup {
  readonly t: TestSystem
  readonly model: Model
  readonly ws: WsHandle
  readonly url: string
  readonly token: string
  publish(...tickets: Array<ReturnType<typeof ticket>>): Promise<void>
}

async function setup(options: WsOptionsInput = {}): Promise<Setup> {
  const t = await withSystem()
  const model = await buildModel(t)
  const users = await createUserStore({ path: path.join(t.dataDir, 'users.json'), log, watch: false })
  onTestFinished(() => users.close())
  const token = await users.add('wall', 'viewer')
  const app = Fastify({ loggerInstance: log as FastifyBaseLogger })
  const ws = await registerWs(app, { model, authenticator: users, log, options })
  await app.listen({ host: '127.0.0.1', port: 0 })
  onTestFinished(() => app.close())
  const { port } = app.server.address() as { port: number }
  const wb = await t.device('wb-1')
  return {
    t,
    model,
    ws,
    token,
    url: `ws://127.0.0.1:${port}${WS_PATH}`,
    async publish(...tickets) {
      await Promise.all(
        tickets.map((tk) => wb.publishAsync('v1/devices/wb-1/weighing', JSON.stringify(tk), { qos: 1 }))
      )
    }
  }
}

type Msg = Record<string, unknown> & { type: string }

/** A real ws client that records every message and lets the test wait for one. */
function client(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers })
  const messages: Msg[] = []
  const waiters: Array<{ pred: (m: Msg) => boolean; resolve: (m: Msg) => void }> = []
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as Msg
    messages.push(m)
    for (const w of [...waiters])
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(m)
      }
  })
  const closed = once(ws, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }))
  ws.on('error', () => undefined) // a refused or aborted connection shows as its close
  onTestFinished(() => {
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CLOSING) ws.terminate()
  })
  return {
    ws,
    messages,
    closed,
    opened: once(ws, 'open'),
    send(m: unknown): void {
      if (ws.readyState === WebSocket.CONNECTING) ws.once('open', () => ws.send(JSON.stringify(m)))
      else ws.send(JSON.stringify(m))
    },
    /** The first message (already received or coming) that matches. */
    next(pred: (m: Msg) => boolean): Promise<Msg> {
      const seen = messages.find(pred)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve) => waiters.push({ pred, resolve }))
    },
    of: (type: string, id?: string) => messages.filter((m) => m.type === type && (id === undefined || m.id === id))
  }
}

const authed = (s: Setup) => client(s.url, { authorization: `Bearer ${s.token}` })

type SiteState = Map<string, SiteBalance>
/** Apply a sites snapshot or delta to a client-side state, as a screen would. */
function apply(state: SiteState, m: Msg): void {
  const data = m.data as { items: SiteBalance[]; removed?: string[] }
  if (m.type === 'snapshot') state.clear()
  for (const it of data.items) state.set(it.siteId, it)
  for (const k of data.removed ?? []) state.delete(k)
}
const numbers = (b: SiteBalance | undefined) =>
  b && {
    siteId: b.siteId,
    day: b.day,
    inT: b.inT,
    outT: b.outT,
    openingT: b.openingT,
    stockT: b.stockT,
    ticketsIn: b.ticketsIn,
    ticketsOut: b.ticketsOut,
    clearancePct: b.clearancePct,
    capacityPct: b.capacityPct
  }

async function influxInT(t: TestSystem, site: string): Promise<number> {
  await t.forwarded() // acknowledged means durable in the spool; InfluxDB follows
  const [result] = await t.db.client.query(
    `SELECT sum(net_kg) FROM weighing WHERE site = '${site}' AND direction = 'in'`,
    { epoch: 'ms' }
  )
  return Math.round(Number(rows(result)[0]?.sum ?? 0)) / 1000
}

describe('websocket v1: authentication', () => {
  it('closes 4401 without a token, with a bad token, or with a first message that is not auth', async () => {
    const s = await setup({ authTimeoutMs: 300 })
    const silent = client(s.url)
    const badHeader = client(s.url, { authorization: 'Bearer qyo_nope' })
    const badAuth = client(s.url)
    await badAuth.opened
    badAuth.send({ type: 'auth', token: 'qyo_nope' })
    const eager = client(s.url)
    await eager.opened
    eager.send({ type: 'subscribe', id: 'x', channel: 'city' })
    for (const c of [silent, badHeader, badAuth, eager]) expect((await c.closed).code).toBe(WsCloseCode.unauthorized)
    expect((await silent.closed).reason).toMatch(/auth/)
    for (const c of [silent, badHeader, badAuth, eager]) expect(c.of('snapshot')).toEqual([])
  })

  it('welcomes a token in the header or in a first auth message', async () => {
    const s = await setup()
    const header = authed(s)
    expect(await header.next((m) => m.type === 'welcome')).toMatchObject({
      protocol: 'qingyun.ws.v1',
      user: 'wall',
      role: 'viewer'
    })
    const browser = client(s.url)
    await browser.opened
    browser.send({ type: 'auth', token: s.token })
    expect(await browser.next((m) => m.type === 'welcome')).toMatchObject({ user: 'wall' })
    browser.send({ type: 'subscribe', id: 'b', channel: 'bins', params: { status: 'full' } })
    expect(await browser.next((m) => m.type === 'error')).toMatchObject({
      code: 'WS_E_BAD_MESSAGE',
      id: 'b',
      message: expect.stringContaining('params.status')
    })
    browser.send({ type: 'ping' })
    await browser.next((m) => m.type === 'pong')
  })
})

describe('websocket v1: snapshot, deltas, coalescing', () => {
  it('sends snapshots, then deltas as real tickets are published over MQTT', async () => {
    const s = await setup()
    await s.publish(ticket('A-0'))
    const c = authed(s)
    await c.next((m) => m.type === 'welcome')
    c.send({ type: 'subscribe', id: 'sites', channel: 'sites' })
    c.send({ type: 'subscribe', id: 'ts1', channel: 'site', params: { siteId: 'ts-1' } })
    c.send({ type: 'subscribe', id: 'city', channel: 'city' })
    const snap = await c.next((m) => m.type === 'snapshot' && m.id === 'sites')
    const state: SiteState = new Map()
    apply(state, snap)
    expect(numbers(state.get('ts-1'))).toMatchObject({ inT: 8.12, ticketsIn: 1 })
    expect(await c.next((m) => m.type === 'snapshot' && m.id === 'ts1')).toMatchObject({
      channel: 'site',
      data: { balance: { siteId: 'ts-1', inT: 8.12 } }
    })
    expect(await c.next((m) => m.type === 'snapshot' && m.id === 'city')).toMatchObject({ data: { inT: 8.12 } })

    await s.publish(ticket('A-1', { direction: 'out', grossKg: 25_000, tareKg: 15_000, netKg: 10_000 }))
    const delta = await c.next((m) => m.type === 'delta' && m.id === 'sites')
    expect(delta.seq).toBe((snap.seq as number) + 1)
    apply(state, delta)
    expect(numbers(state.get('ts-1'))).toMatchObject({ inT: 8.12, outT: 10 })
    expect(await c.next((m) => m.type === 'delta' && m.id === 'ts1')).toMatchObject({
      data: { balance: { inT: 8.12, outT: 10 } }
    })
    expect(
      await c.next((m) => m.type === 'delta' && m.id === 'city' && (m.data as { outT: number }).outT === 10)
    ).toBeTruthy()
  })

  it('coalesces 50 quick tickets into a few deltas with the right final numbers', async () => {
    const flushMs = 1_000
    const s = await setup({ flushMs })
    const c = authed(s)
    c.send({ type: 'subscribe', id: 'sites', channel: 'sites' })
    const state: SiteState = new Map()
    apply(state, await c.next((m) => m.type === 'snapshot'))
    const t0 = Date.now()
    await s.publish(...Array.from({ length: 50 }, (_, i) => ticket(`C-${i}`)))
    await c.next(
      (m) =>
        m.type === 'delta' &&
        (m.data as { items: SiteBalance[] }).items.some((b) => b.siteId === 'ts-1' && b.ticketsIn === 50)
    )
    const elapsed = Date.now() - t0
    const deltas = c.of('delta', 'sites')
    for (const d of deltas) apply(state, d)
    // Deltas of a stream are at least flushMs apart (the first may go at once): however slow
    // the machine, k deltas need (k − 1) × flushMs. 50 facts → far fewer than 50 messages.
    expect(deltas.length).toBeLessThanOrEqual(2 + Math.floor(elapsed / flushMs))
    expect(deltas.length).toBeLessThan(50)
    expect(deltas.map((d) => d.seq)).toEqual(deltas.map((_, i) => (deltas[0]!.seq as number) + i))
    expect(numbers(state.get('ts-1'))).toMatchObject({ inT: 406, ticketsIn: 50 })
    expect(await influxInT(s.t, 'ts-1')).toBe(406)
  })
})

describe('websocket v1: resume', () => {
  it('resumes after a dropped connection with nothing lost or counted twice', async () => {
    const s = await setup({ flushMs: 100 })
    await s.publish(ticket('R-0'))
    const a = authed(s)
    a.send({ type: 'subscribe', id: 'sites', channel: 'sites' })
    const state: SiteState = new Map()
    apply(state, await a.next((m) => m.type === 'snapshot'))
    const r1 = ticket('R-1')
    await s.publish(r1)
    apply(state, await a.next((m) => m.type === 'delta'))
    const lastSeq = a.of('delta').at(-1)!.seq as number
    a.ws.terminate() // the network drops: no close handshake
    await a.closed

    // While disconnected: new tickets at both sites, and a retransmission of one already counted.
    await s.publish(ticket('R-2'), ticket('R-3', { direction: 'out', grossKg: 20_000, tareKg: 15_000, netKg: 5_000 }))
    await s.publish(r1)
    const wb2 = await s.t.device('wb-2')
    await wb2.publishAsync(
      'v1/devices/wb-2/weighing',
      JSON.stringify(ticket('R-4', { stream: 'recyclable', material: 'paper' })),
      { qos: 1 }
    )
    const expected = { ts1In: await influxInT(s.t, 'ts-1'), sc1In: await influxInT(s.t, 'sc-1') }
    expect(expected).toEqual({ ts1In: 24.36, sc1In: 8.12 })

    const b = authed(s)
    b.send({ type: 'subscribe', id: 'sites', channel: 'sites', resume: { seq: lastSeq } })
    const first = await b.next((m) => m.type === 'resumed' || m.type === 'snapshot')
    expect(first).toMatchObject({ type: 'resumed', fromSeq: lastSeq })
    // Apply what is replayed and whatever follows until the screen shows what InfluxDB holds.
    let applied = 0
    const caughtUp = (): boolean =>
      state.get('ts-1')?.inT === expected.ts1In &&
      state.get('ts-1')?.outT === 5 &&
      state.get('sc-1')?.inT === expected.sc1In
    while (!caughtUp()) {
      const d = await b.next((m) => m.type === 'delta' && (m.seq as number) > lastSeq + applied)
      expect(d.seq).toBe(lastSeq + applied + 1)
      apply(state, d)
      apply(state, d) // a delta applied twice changes nothing: full values, not increments
      applied++
    }
    expect(applied).toBeGreaterThan(0)

    const fresh = authed(s)
    fresh.send({ type: 'subscribe', id: 'sites', channel: 'sites' })
    const freshState: SiteState = new Map()
    apply(freshState, await fresh.next((m) => m.type === 'snapshot'))
    expect([...state.keys()].sort()).toEqual([...freshState.keys()].sort())
    for (const id of freshState.keys()) expect(numbers(state.get(id)), id).toEqual(numbers(freshState.get(id)))
    expect(numbers(state.get('ts-1'))).toMatchObject({ inT: 24.36, outT: 5, ticketsIn: 3, ticketsOut: 1 })
  })

  it('sends a snapshot for a seq it does not hold', async () => {
    const s = await setup()
    const c = authed(s)
    c.send({ type: 'subscribe', id: 'x', channel: 'city', resume: { seq: 12 } })
    expect(await c.next((m) => m.type === 'snapshot' || m.type === 'resumed')).toMatchObject({
      type: 'snapshot',
      id: 'x',
      channel: 'city'
    })
  })
})

describe('websocket v1: heartbeats and slow clients', () => {
  it('sends heartbeats, and closes a client that sends nothing for 3 of them', async () => {
    const s = await setup({ heartbeatMs: 200 })
    const c = authed(s)
    expect(await c.next((m) => m.type === 'welcome')).toMatchObject({ heartbeatMs: 200 })
    expect(await c.next((m) => m.type === 'heartbeat')).toMatchObject({ ts: expect.any(Number) })
    expect((await c.closed).code).toBe(WsCloseCode.idle)
    expect(c.of('heartbeat').length).toBeGreaterThanOrEqual(2)
  })

  it('drops a client that does not read with 4008 "too slow", while others keep getting updates', async () => {
    const s = await setup({ highWaterBytes: 16 * 1024, maxQueuedMessages: 64 })
    const fast = authed(s)
    fast.send({ type: 'subscribe', id: 'sites', channel: 'sites' })
    await fast.next((m) => m.type === 'snapshot')
    const slow = authed(s)
    await slow.next((m) => m.type === 'welcome')
    slow.ws.pause() // stops reading: the kernel buffers fill, then the server's queue
    // Ask for snapshot after snapshot until the server gives up on it — however long that takes.
    for (let n = 0; !s.ws.stats().closedByServer[WsCloseCode.tooSlow];) {
      for (let i = 0; i < 50; i++, n++) {
        slow.send({ type: 'subscribe', id: `s${n}`, channel: 'sites' })
        slow.send({ type: 'unsubscribe', id: `s${n}` })
      }
      await new Promise((r) => setImmediate(r))
    }
    await s.publish(ticket('S-1'))
    expect(await fast.next((m) => m.type === 'delta')).toMatchObject({
      data: { items: [{ siteId: 'ts-1', inT: 8.12 }] }
    })
    slow.ws.resume()
    const closed = await slow.closed
    expect(closed.code).toBe(WsCloseCode.tooSlow)
    expect(closed.reason).toMatch(/^too slow: more than \d+ bytes waiting$/)
    expect(fast.ws.readyState).toBe(WebSocket.OPEN)
    fast.send({ type: 'ping' })
    await fast.next((m) => m.type === 'pong')
  })
})
