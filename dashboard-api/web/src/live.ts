// One websocket for the whole page (protocol v1, contracts/ws.ts, GET /api/v1/ws): auth by
// message (a browser cannot set an Authorization header on a websocket), one subscription per
// view, and by itself: reconnect with exponential backoff and jitter, resume every
// subscription from the last seq it applied (the server replays the missed deltas, or sends a
// fresh snapshot when they have left its ring), and a ping so the server never sees us idle.
//
// Seq rules: a snapshot's seq is the last delta it includes; each delta is seq + 1. A delta at
// or below the applied seq is a replay we already have (ignored); one that skips ahead means a
// gap, so the subscription is re-requested without resume and a snapshot replaces the state.

//
// No DOM types here: the module is also loaded by live.test.ts under Node, with a socket
// double at the boundary.

export const WS_PATH = '/api/v1/ws'
const UNAUTHORIZED = 4401
/** Timeline marks for the benchmark (bench/web.ts reads them with performance.getEntriesByType). */
const mark = (name: string): void => void globalThis.performance?.mark?.(name)

/* eslint-disable @typescript-eslint/no-explicit-any -- wire messages are checked by the server (contracts/ws.ts) */
export interface Handlers {
  snapshot(data: any): void
  delta(data: any): void
  error?(msg: any): void
}
export type LiveState = 'connecting' | 'open' | 'reconnecting' | 'closed'
export interface Welcome {
  user: string
  role: string
  heartbeatMs?: number
}
interface Socket {
  readyState: number
  send(data: string): void
  close(code?: number): void
  onopen: (() => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  onclose: ((ev: { code: number }) => void) | null
  onerror: (() => void) | null
}
type Timer = ReturnType<typeof setTimeout> | undefined
export interface LiveOptions {
  url: string
  token: string
  onState?(s: LiveState, info: { retryInMs?: number }): void
  onWelcome?(w: Welcome): void
  onUnauthorized?(): void
  WebSocketImpl?: new (url: string) => Socket
  setTimeout?: (fn: () => void, ms: number) => Timer
  clearTimeout?: (t: Timer) => void
  now?: () => number
  random?: () => number
  minBackoffMs?: number
  maxBackoffMs?: number
}
interface Sub {
  channel: string
  params: object | undefined
  seq: number | null
  handlers: Handlers
  live: boolean
}
export type Live = ReturnType<typeof createLive>

export function createLive(opts: LiveOptions) {
  const WS = opts.WebSocketImpl ?? (globalThis as unknown as { WebSocket: new (url: string) => Socket }).WebSocket
  const setT = opts.setTimeout ?? ((fn: () => void, ms: number): Timer => globalThis.setTimeout(fn, ms))
  const clearT = opts.clearTimeout ?? ((t: Timer): void => globalThis.clearTimeout(t))
  const now = opts.now ?? Date.now
  const random = opts.random ?? Math.random
  const minBackoff = opts.minBackoffMs ?? 500
  const maxBackoff = opts.maxBackoffMs ?? 15_000

  const subs = new Map<string, Sub>()
  let socket: Socket | null = null
  let state: LiveState = 'connecting'
  let attempt = 0
  let retryTimer: Timer
  let pingTimer: Timer
  let heartbeatMs = 15_000
  let lastHeard = 0
  let stopped = false
  let counter = 0
  const stats = { messages: 0, deltas: 0, snapshots: 0, resumed: 0, gaps: 0, reconnects: 0 }

  const setState = (s: LiveState, info: { retryInMs?: number } = {}): void => {
    state = s
    opts.onState?.(s, info)
  }
  const sendRaw = (msg: Record<string, unknown>): void => {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(msg))
  }
  const request = (id: string, sub: Sub): void => {
    const msg: Record<string, unknown> = { type: 'subscribe', id, channel: sub.channel }
    if (sub.params && Object.keys(sub.params).length > 0) msg.params = sub.params
    if (sub.seq !== null) msg.resume = { seq: sub.seq }
    sub.live = true
    sendRaw(msg)
  }

  const schedulePing = (): void => {
    clearT(pingTimer)
    pingTimer = setT(() => {
      if (!socket || socket.readyState !== 1) return
      // Three silent heartbeats mean the connection is dead without a close (a laptop that
      // slept, a NAT that forgot us): drop it and reconnect.
      if (now() - lastHeard > 3 * heartbeatMs) {
        socket.close()
        return
      }
      sendRaw({ type: 'ping' })
      schedulePing()
    }, heartbeatMs)
  }

  const onMessage = (text: string): void => {
    lastHeard = now()
    stats.messages++
    let msg: any
    try {
      msg = JSON.parse(text)
    } catch {
      return
    }
    switch (msg.type) {
      case 'welcome':
        mark('qy:welcome')
        attempt = 0
        heartbeatMs = msg.heartbeatMs ?? heartbeatMs
        setState('open')
        opts.onWelcome?.(msg)
        for (const [id, sub] of subs) request(id, sub)
        schedulePing()
        return
      case 'snapshot': {
        const sub = subs.get(msg.id)
        if (!sub) return
        sub.seq = msg.seq
        stats.snapshots++
        mark(`qy:snapshot:${sub.channel}`)
        sub.handlers.snapshot(msg.data)
        return
      }
      case 'delta': {
        const sub = subs.get(msg.id)
        if (!sub || sub.seq === null) return
        if (msg.seq <= sub.seq) return
        if (msg.seq !== sub.seq + 1) {
          stats.gaps++
          resnapshot(msg.id, sub)
          return
        }
        sub.seq = msg.seq
        stats.deltas++
        sub.handlers.delta(msg.data)
        return
      }
      case 'resumed':
        stats.resumed++
        return
      case 'error': {
        const sub = msg.id === undefined ? undefined : subs.get(msg.id)
        if (!sub) return
        if (msg.code === 'WS_E_INTERNAL' || msg.code === 'WS_E_LIMIT') {
          // The server dropped the subscription; ask again later.
          sub.live = false
          setT(() => subs.get(msg.id) === sub && !sub.live && state === 'open' && request(msg.id, sub), 2000)
        }
        sub.handlers.error?.(msg)
        return
      }
      default:
        // heartbeat, pong: lastHeard is enough.
        return
    }
  }

  /** Drop our state for this subscription and take a fresh snapshot under a new id. */
  const resnapshot = (oldId: string, sub: Sub): void => {
    sendRaw({ type: 'unsubscribe', id: oldId })
    subs.delete(oldId)
    const id = `${sub.channel}-${++counter}`
    sub.seq = null
    subs.set(id, sub)
    request(id, sub)
  }

  const connect = (): void => {
    if (stopped) return
    setState(attempt === 0 ? 'connecting' : 'reconnecting')
    let ws: Socket
    try {
      ws = new WS(opts.url)
    } catch {
      retry()
      return
    }
    socket = ws
    ws.onopen = () => {
      mark('qy:ws-open')
      lastHeard = now()
      ws.send(JSON.stringify({ type: 'auth', token: opts.token }))
    }
    ws.onmessage = (ev) => {
      if (socket === ws) onMessage(typeof ev.data === 'string' ? ev.data : String(ev.data))
    }
    ws.onclose = (ev) => {
      if (socket !== ws) return
      socket = null
      clearT(pingTimer)
      for (const sub of subs.values()) sub.live = false
      if (stopped) return
      if (ev.code === UNAUTHORIZED) {
        stopped = true
        setState('closed')
        opts.onUnauthorized?.()
        return
      }
      retry()
    }
    ws.onerror = () => {
      // onclose follows and decides.
    }
  }

  const retry = (): void => {
    if (stopped) return
    attempt++
    stats.reconnects++
    // Full jitter, so a server restart is not met by every screen at the same instant.
    const cap = Math.min(maxBackoff, minBackoff * 2 ** Math.min(attempt - 1, 10))
    const delay = Math.round(cap / 2 + (random() * cap) / 2)
    setState('reconnecting', { retryInMs: delay })
    retryTimer = setT(connect, delay)
  }

  connect()

  return {
    /** Returns the unsubscribe function. */
    subscribe(channel: string, params: object | undefined, handlers: Handlers): () => void {
      const id = `${channel}-${++counter}`
      const sub: Sub = { channel, params, seq: null, handlers, live: false }
      subs.set(id, sub)
      if (state === 'open') request(id, sub)
      return () => {
        for (const [k, s] of subs) {
          if (s === sub) {
            subs.delete(k)
            if (s.live) sendRaw({ type: 'unsubscribe', id: k })
          }
        }
      }
    },
    state: () => state,
    stats: () => ({ ...stats, subscriptions: subs.size }),
    /** For tests and the debug panel: drop the connection as a network failure would. */
    drop() {
      socket?.close()
    },
    close() {
      stopped = true
      clearT(retryTimer)
      clearT(pingTimer)
      const s = socket
      socket = null
      s?.close(1000)
      setState('closed')
    }
  }
}

/**
 * Keyed state for a collection channel (sites, bins, vehicles, alerts): a snapshot replaces
 * everything, a delta upserts its items and deletes `removed` keys.
 */
export function createCollection<T>(keyOf: (item: T) => string) {
  const items = new Map<string, T>()
  return {
    items,
    snapshot(data: { items: T[] }): void {
      items.clear()
      for (const it of data.items) items.set(keyOf(it), it)
    },
    /** Returns the upserted items. */
    delta(data: { items: T[]; removed?: string[] }): T[] {
      for (const k of data.removed ?? []) items.delete(k)
      for (const it of data.items) items.set(keyOf(it), it)
      return data.items
    }
  }
}
