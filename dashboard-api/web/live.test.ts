import { describe, expect, it } from 'vitest'

// The page's websocket client (src/live.ts) on its own: the seq rules, resume and
// reconnects. The socket is the boundary replaced here, to make the server misbehave in ways
// a real one will not on cue (a skipped seq, a replayed delta); the real thing is exercised
// end to end by test/e2e/web.test.ts (resume after a dropped connection).

interface Handlers {
  snapshot(data: unknown): void
  delta(data: unknown): void
  error?(msg: unknown): void
}
interface Live {
  subscribe(channel: string, params: object | undefined, handlers: Handlers): () => void
  state(): string
  stats(): Record<string, number>
  close(): void
}
interface LiveModule {
  createLive(opts: Record<string, unknown>): Live
  createCollection<T>(keyOf: (item: T) => string): {
    items: Map<string, T>
    snapshot(d: { items: T[] }): void
    delta(d: { items: T[]; removed: string[] }): T[]
  }
}

// The page's module, imported by path: it is type-checked with the page's own (DOM) settings
// (dashboard-api/web/tsconfig.json), not with the Node ones this test is checked with.
const LIVE_JS = './src/live.ts'
const load = async (): Promise<LiveModule> => (await import(LIVE_JS)) as LiveModule

class FakeSocket {
  static all: FakeSocket[] = []
  readyState = 0
  sent: Array<Record<string, unknown>> = []
  onopen?: () => void
  onmessage?: (ev: { data: string }) => void
  onclose?: (ev: { code: number }) => void
  onerror?: () => void
  constructor(readonly url: string) {
    FakeSocket.all.push(this)
  }
  send(text: string): void {
    this.sent.push(JSON.parse(text) as Record<string, unknown>)
  }
  close(code = 1006): void {
    this.readyState = 3
    this.onclose?.({ code })
  }
  open(): void {
    this.readyState = 1
    this.onopen?.()
  }
  receive(msg: object): void {
    this.onmessage?.({ data: JSON.stringify(msg) })
  }
  welcome(): void {
    this.receive({
      type: 'welcome',
      protocol: 'qingyun.ws.v1',
      user: 'wall',
      role: 'operator',
      heartbeatMs: 15_000,
      flushMs: 250
    })
  }
}

function timers() {
  const queue: Array<{ fn: () => void; ms: number }> = []
  return {
    queue,
    setTimeout: (fn: () => void, ms: number) => queue.push({ fn, ms }),
    clearTimeout: () => undefined,
    /** Run the first pending timer of at least `minMs` (the reconnect, not the ping). */
    runFirst(minMs = 0): number {
      const i = queue.findIndex((q) => q.ms >= minMs && q.ms < 15_000)
      const [t] = queue.splice(i, 1)
      t!.fn()
      return t!.ms
    }
  }
}

async function setup() {
  const { createLive } = await load()
  FakeSocket.all = []
  const clock = timers()
  const states: string[] = []
  let unauthorized = 0
  const live = createLive({
    url: 'ws://x/api/v1/ws',
    token: 'qyo_t',
    WebSocketImpl: FakeSocket,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    random: () => 0.5,
    onState: (s: string) => states.push(s),
    onUnauthorized: () => unauthorized++
  })
  const seen: Array<[string, unknown]> = []
  live.subscribe('city', undefined, {
    snapshot: (d) => seen.push(['snapshot', d]),
    delta: (d) => seen.push(['delta', d])
  })
  const ws = FakeSocket.all[0]!
  ws.open()
  ws.welcome()
  return { live, clock, states, seen, ws, unauthorized: () => unauthorized }
}

describe('the page websocket client', () => {
  it('authenticates, subscribes after the welcome, and applies a snapshot then consecutive deltas', async () => {
    const { ws, seen, states } = await setup()
    expect(ws.sent[0]).toEqual({ type: 'auth', token: 'qyo_t' })
    expect(ws.sent[1]).toEqual({ type: 'subscribe', id: 'city-1', channel: 'city' })
    ws.receive({ type: 'snapshot', id: 'city-1', channel: 'city', seq: 10, data: 'S' })
    ws.receive({ type: 'delta', id: 'city-1', channel: 'city', seq: 11, data: 'D11' })
    ws.receive({ type: 'delta', id: 'city-1', channel: 'city', seq: 11, data: 'D11 again' })
    ws.receive({ type: 'delta', id: 'city-1', channel: 'city', seq: 12, data: 'D12' })
    expect(seen).toEqual([
      ['snapshot', 'S'],
      ['delta', 'D11'],
      ['delta', 'D12']
    ])
    expect(states).toEqual(['connecting', 'open'])
  })

  it('takes a fresh snapshot when a delta skips a seq', async () => {
    const { ws, seen, live } = await setup()
    ws.receive({ type: 'snapshot', id: 'city-1', channel: 'city', seq: 10, data: 'S' })
    ws.receive({ type: 'delta', id: 'city-1', channel: 'city', seq: 12, data: 'D12' })
    expect(seen).toEqual([['snapshot', 'S']])
    expect(ws.sent.slice(2)).toEqual([
      { type: 'unsubscribe', id: 'city-1' },
      { type: 'subscribe', id: 'city-2', channel: 'city' }
    ])
    expect(live.stats().gaps).toBe(1)
  })

  it('reconnects with growing backoff and resumes from the last applied seq', async () => {
    const { ws, clock, states, live } = await setup()
    ws.receive({ type: 'snapshot', id: 'city-1', channel: 'city', seq: 10, data: 'S' })
    ws.receive({ type: 'delta', id: 'city-1', channel: 'city', seq: 11, data: 'D11' })
    ws.close()
    expect(states.at(-1)).toBe('reconnecting')
    const first = clock.runFirst(1)
    const ws2 = FakeSocket.all[1]!
    ws2.close() // the server is still down
    const second = clock.runFirst(1)
    expect(second).toBeGreaterThan(first)
    const ws3 = FakeSocket.all[2]!
    ws3.open()
    ws3.welcome()
    expect(ws3.sent[1]).toEqual({ type: 'subscribe', id: 'city-1', channel: 'city', resume: { seq: 11 } })
    expect(states.at(-1)).toBe('open')
    expect(live.stats().reconnects).toBe(2)
  })

  it('stops and signs out when the server refuses the token (4401)', async () => {
    const { ws, clock, unauthorized, states } = await setup()
    ws.close(4401)
    expect(unauthorized()).toBe(1)
    expect(states.at(-1)).toBe('closed')
    expect(clock.queue.filter((q) => q.ms < 15_000)).toEqual([])
  })

  it('a collection applies snapshots and upsert/remove deltas by key', async () => {
    const { createCollection } = await load()
    const c = createCollection<{ id: string; v: number }>((x) => x.id)
    c.snapshot({
      items: [
        { id: 'a', v: 1 },
        { id: 'b', v: 2 }
      ]
    })
    c.delta({
      items: [
        { id: 'b', v: 3 },
        { id: 'c', v: 4 }
      ],
      removed: ['a']
    })
    expect([...c.items.values()]).toEqual([
      { id: 'b', v: 3 },
      { id: 'c', v: 4 }
    ])
  })
})
