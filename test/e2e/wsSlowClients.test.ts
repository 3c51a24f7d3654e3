import path from 'node:path'
import Fastify, { type FastifyBaseLogger } from 'fastify'
import { pino } from 'pino'
import { describe, expect, it, onTestFinished } from 'vitest'
import WebSocket from 'ws'
import { WS_PATH, WsCloseCode } from '../../contracts/ws.ts'
import { createUserStore } from '../../dashboard-api/auth/users.ts'
import { inProcessFacts } from '../../dashboard-api/factSource.ts'
import { createModel } from '../../dashboard-api/model/model.ts'
import { registerWs, type WsOptionsInput } from '../../dashboard-api/ws/index.ts'
import { createRegistryStore } from '../../registry/store.ts'
import { ticket } from '../fixtures/messages.ts'
import { withSystem } from '../harness/system.ts'

// Websocket clients that subscribe and then never read, on real parts: tickets published over
// MQTT (mqtt.js → Aedes → ingest → InfluxDB → committed facts → the real model), real `ws`
// clients whose TCP socket is paused (the kernel buffers fill, then the server's), a real
// Fastify server. Each slow connection must be cut off with 4008 once what waits for it passes
// the byte bound (maxBufferedBytes, snapshots included) and its memory released — the socket
// gone from the server — while a reading client keeps getting updates and PUBACKs keep coming.

const log = pino({ level: process.env.QINGYUN_TEST_LOG_LEVEL ?? 'silent' })
const SLOW = 12
// What an operations screen subscribes to.
const SCREEN = [
  { channel: 'city' },
  { channel: 'sites' },
  { channel: 'site', params: { siteId: 'ts-1' } },
  { channel: 'bins' },
  { channel: 'vehicles' },
  { channel: 'alerts' }
]
const MAX_BUFFERED = 64 * 1024

type Msg = { type: string; id?: string; data?: unknown }

interface Client {
  readonly ws: WebSocket
  readonly messages: Msg[]
  /** Bytes of every message received. */
  bytes: number
  readonly closed: Promise<number>
}

function open(url: string, token: string): Promise<Client> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } })
  const c: Client = {
    ws,
    messages: [],
    bytes: 0,
    closed: new Promise((resolve) => ws.once('close', (code) => resolve(code)))
  }
  ws.on('message', (d: Buffer) => {
    c.bytes += d.length
    c.messages.push(JSON.parse(d.toString()) as Msg)
  })
  ws.on('error', () => undefined)
  onTestFinished(() => ws.terminate())
  return new Promise((resolve) => ws.once('open', () => resolve(c)))
}

const until = async (cond: () => boolean): Promise<void> => {
  while (!cond()) await new Promise((r) => setTimeout(r, 20))
}

async function setup(options: WsOptionsInput) {
  const t = await withSystem()
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
  const users = await createUserStore({ path: path.join(t.dataDir, 'users.json'), log, watch: false })
  onTestFinished(() => users.close())
  const token = await users.add('wall', 'viewer')
  const app = Fastify({ loggerInstance: log as FastifyBaseLogger })
  const handle = await registerWs(app, { model, authenticator: users, log, options })
  await app.listen({ host: '127.0.0.1', port: 0 })
  onTestFinished(() => app.close())
  const url = `ws://127.0.0.1:${(app.server.address() as { port: number }).port}${WS_PATH}`
  return { t, app, handle, url, token }
}

describe('websocket clients that never read', () => {
  it('are closed 4008 at a byte bound and freed, while ingest and other screens carry on', async () => {
    const { t, app, handle, url, token } = await setup({
      flushMs: 50,
      highWaterBytes: 16 * 1024,
      maxBufferedBytes: MAX_BUFFERED
    })
    const wb = await t.device('wb-1')

    const fast = await open(url, token)
    fast.ws.send(JSON.stringify({ type: 'subscribe', id: 'sites', channel: 'sites' }))
    await until(() => fast.messages.some((m) => m.type === 'snapshot'))

    const slow = await Promise.all(Array.from({ length: SLOW }, () => open(url, token)))
    for (const c of slow) {
      SCREEN.forEach((sub, i) => c.ws.send(JSON.stringify({ type: 'subscribe', id: `s${i}`, ...sub })))
    }
    await until(() => slow.every((c) => c.messages.filter((m) => m.type === 'snapshot').length === SCREEN.length))
    for (const c of slow) c.ws.pause() // stops reading the TCP socket: the kernel buffers fill, then the server's
    const readBeforePause = slow.map((c) => c.bytes)

    // A real fact flow until every slow connection is cut off and gone from the server.
    let n = 0
    const server = app.websocketServer
    while ((handle.stats().closedByServer[WsCloseCode.tooSlow] ?? 0) < SLOW || server.clients.size > 1) {
      await wb.publishAsync('v1/devices/wb-1/weighing', JSON.stringify(ticket(`T-${n++}`)), { qos: 1 })
    }
    expect(handle.stats().closedByServer[WsCloseCode.tooSlow]).toBe(SLOW)
    expect(handle.stats().connections).toBe(1)
    // Everything the server sent a slow client after it stopped reading — kernel buffers
    // included — stayed within the bound plus the message that crossed it.
    for (const c of slow) c.ws.resume()
    for (const [i, c] of slow.entries()) {
      expect([WsCloseCode.tooSlow, 1006]).toContain(await c.closed)
      expect(c.bytes - readBeforePause[i]!).toBeLessThanOrEqual(MAX_BUFFERED + 16 * 1024)
    }

    // The reading screen is unaffected and current.
    const before = fast.messages.length
    await wb.publishAsync('v1/devices/wb-1/weighing', JSON.stringify(ticket(`T-${n}`)), { qos: 1 })
    await until(() => fast.messages.slice(before).some((m) => m.type === 'delta'))
    expect(fast.ws.readyState).toBe(WebSocket.OPEN)
  }, 90_000)

  it('are bounded per address: one more than maxConnectionsPerAddress is closed 1008', async () => {
    const { url, token } = await setup({ maxConnectionsPerAddress: 3 })
    const first = await Promise.all([open(url, token), open(url, token), open(url, token)])
    await until(() => first.every((c) => c.messages.some((m) => m.type === 'welcome')))
    const extra = await open(url, token)
    expect(await extra.closed).toBe(1008)
    first[0]!.ws.close()
    await first[0]!.closed
    const again = await open(url, token)
    await until(() => again.messages.some((m) => m.type === 'welcome'))
  })
})
