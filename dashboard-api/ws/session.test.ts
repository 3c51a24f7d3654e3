import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { ServerMessageV1, WsCloseCode } from '../../contracts/ws.ts'
import type { Authenticator } from '../auth/types.ts'
import { bin, fakeModel } from './fakeModel.test-support.ts'
import { createStreamRegistry } from './streams.ts'
import { createSession, parseClientMessage } from './session.ts'
import { fakeTimers } from '../../test/harness/clock.ts'

const log = pino({ level: 'silent' })
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

const authenticator: Authenticator = {
  verify: (t) =>
    t === 'good' ? { name: 'ops', role: 'viewer' } : t === 'admin' ? { name: 'root', role: 'admin' } : undefined
}

function setup(opts: { heartbeatMs?: number } = {}) {
  const timers = fakeTimers()
  const fm = fakeModel()
  const registry = createStreamRegistry({
    model: fm.model,
    timers,
    log,
    options: { flushMs: 250, ringSize: 4, streamIdleMs: 60_000, maxStreams: 10 }
  })
  const options = { heartbeatMs: opts.heartbeatMs ?? 15_000, authTimeoutMs: 5_000, maxSubscriptions: 3, flushMs: 250 }
  const connect = () => {
    const sent: Array<Record<string, unknown>> = []
    const closes: Array<{ code: number; reason: string }> = []
    const session = createSession({
      conn: {
        send: (text) => sent.push(ServerMessageV1.parse(JSON.parse(text)) as Record<string, unknown>),
        close: (code, reason) => closes.push({ code, reason })
      },
      authenticator,
      model: fm.model,
      registry,
      timers,
      log,
      options
    })
    const client = {
      session,
      sent,
      closes,
      send: (m: unknown) => session.receive(typeof m === 'string' ? m : JSON.stringify(m)),
      of: (type: string) => sent.filter((m) => m.type === type),
      take: () => sent.splice(0)
    }
    return client
  }
  /** Let the clock run `ms`, flushing microtasks between timers. */
  const run = async (ms: number): Promise<void> => {
    await settle()
    for (let t = 0; t < ms; t += 50) {
      timers.advance(50)
      await settle()
    }
  }
  return { timers, fm, registry, connect, run }
}

describe('message validation', () => {
  it('names the field of a bad message', () => {
    expect(parseClientMessage('{"type":"subscribe","id":"a","channel":"site","params":{"siteId":7}}')).toMatchObject({
      ok: false,
      id: 'a',
      message: expect.stringContaining('params.siteId')
    })
    expect(
      parseClientMessage('{"type":"subscribe","id":"a","channel":"bins","params":{"status":"full"}}')
    ).toMatchObject({ ok: false, message: expect.stringContaining('params.status') })
    expect(parseClientMessage('{"type":"subscribe","id":"a","channel":"weather"}')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^channel: /)
    })
    expect(parseClientMessage('{"type":"subscribe","id":"a","channel":"city","resume":{"seq":-1}}')).toMatchObject({
      ok: false,
      message: expect.stringContaining('resume.seq')
    })
    expect(
      parseClientMessage('{"type":"subscribe","id":"a","channel":"vehicles","params":{"colour":"red"}}')
    ).toMatchObject({ ok: false, message: expect.stringContaining('colour') })
    expect(parseClientMessage('{"type":"hello"}')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^type: /)
    })
    expect(parseClientMessage('{not json')).toMatchObject({ ok: false, message: expect.stringContaining('JSON') })
    expect(parseClientMessage(undefined)).toMatchObject({ ok: false, message: expect.stringContaining('binary') })
    expect(
      parseClientMessage(
        '{"type":"subscribe","id":"b","channel":"alerts","params":{"severity":"critical"},"resume":{"seq":12}}'
      )
    ).toMatchObject({ ok: true })
  })

  it('answers a bad message with an error, not a close', () => {
    const { connect } = setup()
    const c = connect()
    c.session.start('good')
    c.send({ type: 'subscribe', id: 's1', channel: 'site' })
    expect(c.of('error')).toEqual([
      { type: 'error', code: 'WS_E_BAD_MESSAGE', id: 's1', message: expect.stringContaining('params') }
    ])
    expect(c.closes).toEqual([])
    expect(c.session.state()).toBe('ready')
  })
})

describe('authentication', () => {
  it('welcomes a valid Authorization header at once', () => {
    const { connect } = setup()
    const c = connect()
    c.session.start('good')
    expect(c.sent).toEqual([
      { type: 'welcome', protocol: 'qingyun.ws.v1', user: 'ops', role: 'viewer', heartbeatMs: 15_000, flushMs: 250 }
    ])
  })
  it('closes 4401 on a bad header token, a bad auth message, a non-auth first message, or no auth in time', async () => {
    const { connect, run } = setup()
    const a = connect()
    a.session.start('nope')
    const b = connect()
    b.session.start(undefined)
    b.send({ type: 'auth', token: 'nope' })
    const c = connect()
    c.session.start(undefined)
    c.send({ type: 'subscribe', id: 'x', channel: 'city' })
    const d = connect()
    d.session.start(undefined)
    d.send('garbage') // an error, not a close …
    await run(4_900)
    expect(d.closes).toEqual([])
    await run(200) // … but the auth deadline still holds
    for (const x of [a, b, c, d])
      expect(x.closes).toEqual([{ code: WsCloseCode.unauthorized, reason: expect.any(String) }])
    expect(d.of('error')).toHaveLength(1)
  })
  it('accepts an auth message', () => {
    const { connect } = setup()
    const c = connect()
    c.session.start(undefined)
    c.send({ type: 'auth', token: 'admin' })
    expect(c.sent).toMatchObject([{ type: 'welcome', user: 'root', role: 'admin' }])
  })
})

describe('failed-authentication limit', () => {
  it('counts failures and closes 4429 while the client is blocked; a valid token still gets in', () => {
    const timers = fakeTimers()
    const fm = fakeModel()
    const registry = createStreamRegistry({
      model: fm.model,
      timers,
      log,
      options: { flushMs: 250, ringSize: 4, streamIdleMs: 1, maxStreams: 1 }
    })
    let failures = 0
    const gate = { failed: () => (++failures > 2 ? 30 : undefined) }
    const closes: number[] = []
    const attempt = (token: string) => {
      const s = createSession({
        conn: { send: () => undefined, close: (code) => closes.push(code) },
        authenticator,
        gate,
        model: fm.model,
        registry,
        timers,
        log,
        options: { heartbeatMs: 1000, authTimeoutMs: 1000, maxSubscriptions: 1, flushMs: 250 }
      })
      s.start(token)
      return s.state()
    }
    expect(attempt('bad')).toBe('closed')
    expect(attempt('bad')).toBe('closed')
    expect(attempt('bad')).toBe('closed')
    expect(attempt('admin')).toBe('ready')
    expect(closes).toEqual([WsCloseCode.unauthorized, WsCloseCode.unauthorized, WsCloseCode.rateLimited])
  })
})

describe('heartbeats', () => {
  it('sends a heartbeat every interval and closes a client silent for 3 intervals', async () => {
    const { connect, run } = setup({ heartbeatMs: 1_000 })
    const c = connect()
    c.session.start('good')
    await run(2_000)
    expect(c.of('heartbeat')).toHaveLength(2)
    c.send({ type: 'ping' })
    expect(c.of('pong')).toHaveLength(1)
    await run(2_900)
    expect(c.closes).toEqual([])
    await run(200)
    expect(c.closes).toEqual([{ code: WsCloseCode.idle, reason: expect.any(String) }])
  })
})

describe('streams', () => {
  it('sends a snapshot, then coalesced full-value deltas with consecutive seqs', async () => {
    const { connect, fm, run } = setup()
    fm.addTonnes('ts-1', 8)
    const c = connect()
    c.session.start('good')
    c.send({ type: 'subscribe', id: 's', channel: 'sites' })
    await run(0)
    const [snap] = c.of('snapshot')
    expect(snap).toMatchObject({ id: 's', channel: 'sites', data: { items: [{ siteId: 'ts-1', inT: 8 }] } })
    const seq0 = snap!.seq as number
    for (let i = 0; i < 100; i++) fm.addTonnes('ts-1', 1)
    fm.addTonnes('ts-2', 5)
    await run(1_000)
    const deltas = c.of('delta')
    // 101 changes in one flush interval: one delta, with each changed site's current value.
    expect(deltas).toHaveLength(1)
    expect(deltas[0]).toMatchObject({
      type: 'delta',
      id: 's',
      channel: 'sites',
      seq: seq0 + 1,
      data: {
        items: [
          { siteId: 'ts-1', inT: 108 },
          { siteId: 'ts-2', inT: 5 }
        ],
        removed: []
      }
    })
  })

  it('shares one stream (and one seq) between subscribers of the same channel and params', async () => {
    const { connect, fm, registry, run } = setup()
    const a = connect()
    a.session.start('good')
    const b = connect()
    b.session.start('good')
    a.send({ type: 'subscribe', id: 'x', channel: 'bins', params: { district: '梁溪', status: undefined } })
    b.send({ type: 'subscribe', id: 'y', channel: 'bins', params: { district: '梁溪' } })
    await run(0)
    expect(registry.size()).toBe(1)
    fm.setBin(bin('b1', 10))
    await run(300)
    expect(a.of('delta').map((d) => d.seq)).toEqual(b.of('delta').map((d) => d.seq))
    expect(b.of('delta')).toMatchObject([{ id: 'y' }])
  })

  it('removes an item that leaves a filtered set, even if it entered after the last delta', async () => {
    const { connect, fm, run } = setup()
    fm.setBin(bin('b1', 90))
    const a = connect()
    a.session.start('good')
    a.send({ type: 'subscribe', id: 'full', channel: 'bins', params: { status: 'needs-service' } })
    await run(0)
    expect(a.of('snapshot')).toMatchObject([{ data: { items: [{ binId: 'b1' }] } }])
    fm.setBin(bin('b2', 85)) // enters …
    const b = connect()
    b.session.start('good')
    b.send({ type: 'subscribe', id: 'late', channel: 'bins', params: { status: 'needs-service' } })
    await run(0)
    expect(b.of('snapshot')).toMatchObject([{ data: { items: [{ binId: 'b1' }, { binId: 'b2' }] } }])
    fm.setBin(bin('b2', 5)) // … and leaves before any delta: b holds it and must be told
    fm.setBin(bin('b1', 50))
    fm.setBin(bin('b3', 20)) // never in the set: not mentioned
    await run(300)
    expect(b.of('delta')).toMatchObject([{ data: { items: [], removed: ['b2', 'b1'] } }])
  })

  it('resumes from the ring without loss or double counting, else sends a snapshot', async () => {
    const { connect, fm, run } = setup()
    const a = connect()
    a.session.start('good')
    a.send({ type: 'subscribe', id: 'c', channel: 'city' })
    await run(0)
    fm.addTonnes('ts-1', 1)
    await run(300)
    const lastSeq = a.of('delta').at(-1)!.seq as number
    a.session.closed() // the connection drops
    fm.addTonnes('ts-1', 2)
    await run(300)
    fm.addTonnes('ts-2', 4)
    await run(300)
    const b = connect()
    b.session.start('good')
    b.send({ type: 'subscribe', id: 'c', channel: 'city', resume: { seq: lastSeq } })
    await run(0)
    expect(b.sent.map((m) => m.type)).toEqual(['welcome', 'resumed', 'delta', 'delta'])
    expect(b.of('resumed')).toEqual([{ type: 'resumed', id: 'c', channel: 'city', fromSeq: lastSeq, seq: lastSeq + 2 }])
    expect(b.of('delta').map((d) => [d.seq, (d.data as { inT: number }).inT])).toEqual([
      [lastSeq + 1, 3],
      [lastSeq + 2, 7]
    ])
    // Replaying a delta twice changes nothing: it is the full value, not an increment.

    // Evicted from the ring (size 4), or a seq from elsewhere: a fresh snapshot.
    for (let i = 0; i < 5; i++) {
      fm.addTonnes('ts-1', 1)
      await run(300)
    }
    const c = connect()
    c.session.start('good')
    c.send({ type: 'subscribe', id: 'c', channel: 'city', resume: { seq: lastSeq } })
    c.send({ type: 'subscribe', id: 'd', channel: 'city', resume: { seq: 3 } })
    await run(0)
    expect(c.of('snapshot')).toMatchObject([
      { id: 'c', seq: lastSeq + 7, data: { inT: 12 } },
      { id: 'd', seq: lastSeq + 7 }
    ])
  })

  it('keeps an unsubscribed stream following the model for streamIdleMs, then drops it', async () => {
    const { connect, fm, registry, run } = setup()
    const a = connect()
    a.session.start('good')
    a.send({ type: 'subscribe', id: 'c', channel: 'city' })
    await run(0)
    a.send({ type: 'unsubscribe', id: 'c' })
    a.send({ type: 'unsubscribe', id: 'c' })
    expect(a.of('error')).toMatchObject([{ code: 'WS_E_UNKNOWN_ID', id: 'c' }])
    fm.addTonnes('ts-1', 1)
    await run(1_000)
    expect(registry.size()).toBe(1)
    expect(a.of('delta')).toEqual([])
    await run(60_000)
    expect(registry.size()).toBe(0)
    expect(fm.listeners()).toBe(1)
    registry.close()
    expect(fm.listeners()).toBe(0)
  })

  it('refuses duplicate ids, unknown sites and too many subscriptions', async () => {
    const { connect, fm, registry, run } = setup()
    fm.addTonnes('ts-1', 1)
    const a = connect()
    a.session.start('good')
    a.send({ type: 'subscribe', id: 'a', channel: 'site', params: { siteId: 'nope' } })
    a.send({ type: 'subscribe', id: 'b', channel: 'site', params: { siteId: 'ts-1' } })
    a.send({ type: 'subscribe', id: 'b', channel: 'city' })
    a.send({ type: 'subscribe', id: 'c', channel: 'city' })
    a.send({ type: 'subscribe', id: 'd', channel: 'sites' })
    a.send({ type: 'subscribe', id: 'e', channel: 'sites' })
    await run(0)
    // 'a' counts against the limit (3) until the server finds the site does not exist.
    expect(a.of('error').map((e) => [e.id, e.code])).toEqual([
      ['b', 'WS_E_DUPLICATE_ID'],
      ['d', 'WS_E_LIMIT'],
      ['e', 'WS_E_LIMIT'],
      ['a', 'WS_E_NOT_FOUND']
    ])
    expect(
      a
        .of('snapshot')
        .map((s) => s.id)
        .sort()
    ).toEqual(['b', 'c'])
    expect(registry.size()).toBe(2) // the unknown site left no stream behind
    expect(a.of('snapshot').find((s) => s.id === 'b')).toMatchObject({
      channel: 'site',
      data: { balance: { siteId: 'ts-1', inT: 1 }, hourly: [] }
    })
  })
})
