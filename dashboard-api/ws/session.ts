import type { Logger } from 'pino'
import type { z } from 'zod'
import {
  ClientMessage,
  WS_PROTOCOL,
  WsCloseCode,
  type ErrorMessage,
  type SubscribeMessage,
  type WelcomeMessage,
  type WsErrorCode
} from '../../contracts/ws.ts'
import { allows, type Authenticator, type Operator } from '../auth/types.ts'
import type { Model } from '../model/types.ts'
import { channels } from './channels/index.ts'
import type { StreamRegistry } from './streams.ts'
import type { Stream, Subscriber } from './stream.ts'
import type { Timers } from '../../lib/clock.ts'

/** The connection as the session sees it: text out (through the bounded outbox), and close. */
export interface Connection {
  send(text: string): void
  close(code: number, reason: string): void
}

/** Failed-authentication limits (auth/guard.ts, shared with REST) for this client. */
export interface AuthGate {
  /** After a failed verification of `token` ('' when there was none): counts it, and returns
   *  the seconds until the client may try again when it is throttled, else undefined. */
  failed(token: string): number | undefined
}

export interface SessionOptions {
  readonly heartbeatMs: number
  readonly authTimeoutMs: number
  readonly maxSubscriptions: number
  readonly flushMs: number
}

export interface Session {
  /** The upgrade is done; `headerToken` is the Authorization: Bearer token, if any. */
  start(headerToken: string | undefined): void
  /** A frame from the client; `undefined` for a binary frame. */
  receive(text: string | undefined): void
  /** The server closes the connection (e.g. too slow); detaches everything at once. */
  close(code: number, reason: string): void
  /** The accounts changed: close 4401 if this connection's token no longer verifies. */
  recheck(): void
  /** The socket closed. */
  closed(): void
  state(): 'auth' | 'ready' | 'closed'
  subscriptions(): number
}

interface Sub {
  /** Set once acquired; `attached` once the snapshot (or replay) was sent. */
  stream?: Stream
  readonly subscriber: Subscriber
  attached: boolean
  cancelled: boolean
}

/** Why a message is bad, naming the field: "params.siteId: Invalid input: expected string". */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(message)'}: ${i.message}`)
    .join('; ')
}

/** Parse one client frame; the error text names the field. */
export function parseClientMessage(
  text: string | undefined
): { ok: true; msg: ClientMessage } | { ok: false; message: string; id?: string } {
  if (text === undefined) return { ok: false, message: '(message): binary frames are not accepted; send JSON text' }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return { ok: false, message: '(message): not valid JSON' }
  }
  const parsed = ClientMessage.safeParse(raw)
  if (parsed.success) return { ok: true, msg: parsed.data }
  const id =
    typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string'
      ? (raw as { id: string }).id.slice(0, 64)
      : undefined
  return { ok: false, message: describeIssues(parsed.error), ...(id ? { id } : {}) }
}

/**
 * The protocol state machine of one connection: awaiting auth → ready → closed. Pure apart from
 * the injected timers; the Fastify/ws shell (index.ts) feeds it frames and carries out sends
 * and closes.
 */
export function createSession(deps: {
  conn: Connection
  authenticator: Authenticator
  gate?: AuthGate
  model: Model
  registry: StreamRegistry
  timers: Timers
  log: Logger
  options: SessionOptions
}): Session {
  const { conn, authenticator, registry, timers, options } = deps
  let log = deps.log
  let state: 'auth' | 'ready' | 'closed' = 'auth'
  let token = ''
  let operator: Operator | undefined
  let authTimer: unknown
  let heartbeatTimer: unknown
  let lastHeardAt = 0
  const subs = new Map<string, Sub>()

  const send = (msg: object): void => {
    if (state !== 'closed') conn.send(JSON.stringify(msg))
  }
  const error = (code: WsErrorCode, message: string, id?: string): void =>
    send({ type: 'error', code, message, ...(id !== undefined ? { id } : {}) } satisfies ErrorMessage)

  const teardown = (): void => {
    state = 'closed'
    if (authTimer !== undefined) timers.clearTimeout(authTimer)
    if (heartbeatTimer !== undefined) timers.clearTimeout(heartbeatTimer)
    for (const s of subs.values()) {
      s.cancelled = true
      if (s.attached && s.stream) {
        s.stream.detach(s.subscriber)
        registry.release(s.stream)
      }
    }
    subs.clear()
  }
  const close = (code: number, reason: string): void => {
    if (state === 'closed') return
    teardown()
    log.info({ code, reason }, 'websocket closed by server')
    conn.close(code, reason)
  }

  const heartbeat = (): void => {
    heartbeatTimer = undefined
    if (state !== 'ready') return
    const now = timers.now()
    if (now - lastHeardAt >= 3 * options.heartbeatMs) {
      close(WsCloseCode.idle, 'no message from the client for 3 heartbeats')
      return
    }
    send({ type: 'heartbeat', ts: now })
    heartbeatTimer = timers.setTimeout(heartbeat, options.heartbeatMs)
  }

  const authenticate = (t: string): void => {
    // A valid token always gets in, whatever others failed (auth/guard.ts).
    const op = authenticator.verify(t)
    if (!op) {
      const wait = deps.gate?.failed(t)
      if (wait !== undefined)
        return close(WsCloseCode.rateLimited, `too many failed authentications; retry in ${wait} s`)
      log.info({ reason: t === '' ? 'malformed-header' : 'unknown-token' }, 'websocket authentication failed')
      close(WsCloseCode.unauthorized, 'invalid token')
      return
    }
    if (authTimer !== undefined) timers.clearTimeout(authTimer)
    authTimer = undefined
    token = t
    operator = op
    state = 'ready'
    log = log.child({ user: op.name })
    lastHeardAt = timers.now()
    send({
      type: 'welcome',
      protocol: WS_PROTOCOL,
      user: op.name,
      role: op.role,
      heartbeatMs: options.heartbeatMs,
      flushMs: options.flushMs
    } satisfies WelcomeMessage)
    heartbeatTimer = timers.setTimeout(heartbeat, options.heartbeatMs)
  }

  const subscribe = async (msg: SubscribeMessage): Promise<void> => {
    // Every subscription is authorised afresh: a revoked or demoted account stops here.
    const op = authenticator.verify(token)
    if (!op) return close(WsCloseCode.unauthorized, 'token no longer valid')
    if (!allows(op.role, 'viewer')) return error('WS_E_FORBIDDEN', `role ${op.role} may not subscribe`, msg.id)
    if (subs.has(msg.id))
      return error('WS_E_DUPLICATE_ID', `id: subscription "${msg.id}" is already open on this connection`, msg.id)
    if (subs.size >= options.maxSubscriptions)
      return error('WS_E_LIMIT', `at most ${options.maxSubscriptions} subscriptions per connection`, msg.id)
    const params = (msg.params ?? {}) as never
    const adapter = channels[msg.channel]
    // The id is taken (and counts against the limit) from here on; an unsubscribe or a close
    // while the server is still reading marks it cancelled.
    const sub: Sub = {
      subscriber: { id: msg.id, send: (text) => state !== 'closed' && conn.send(text) },
      attached: false,
      cancelled: false
    }
    subs.set(msg.id, sub)
    const fail = (code: WsErrorCode, message: string): void => {
      if (sub.cancelled) return
      subs.delete(msg.id)
      error(code, message, msg.id)
    }
    try {
      // Before a stream exists: an unknown site must not leave a stream behind.
      if (adapter.exists && !(await (adapter.exists as (m: Model, p: unknown) => Promise<boolean>)(deps.model, params)))
        return fail('WS_E_NOT_FOUND', `params.siteId: no such site "${(params as { siteId?: string }).siteId}"`)
    } catch (err) {
      log.error({ err, id: msg.id }, 'subscription check failed')
      return fail('WS_E_INTERNAL', 'the view could not be read; subscribe again')
    }
    if (sub.cancelled) return
    const stream = registry.acquire(msg.channel, params)
    if (!stream) return fail('WS_E_LIMIT', 'the server has too many streams; try again later')
    sub.stream = stream
    try {
      const result = await stream.attach(sub.subscriber, msg.resume?.seq)
      sub.attached = true
      if (sub.cancelled) {
        stream.detach(sub.subscriber)
        registry.release(stream)
        return
      }
      log.debug({ id: msg.id, stream: stream.key, ...result }, 'subscribed')
    } catch (err) {
      log.error({ err, id: msg.id, stream: stream.key }, 'subscription failed')
      registry.release(stream)
      fail('WS_E_INTERNAL', 'the view could not be read; subscribe again')
    }
  }

  const unsubscribe = (id: string): void => {
    const s = subs.get(id)
    if (!s) return error('WS_E_UNKNOWN_ID', `id: no open subscription "${id}"`, id)
    subs.delete(id)
    s.cancelled = true
    if (s.attached && s.stream) {
      s.stream.detach(s.subscriber)
      registry.release(s.stream)
    }
  }

  return {
    start(headerToken) {
      if (headerToken !== undefined) return authenticate(headerToken)
      authTimer = timers.setTimeout(() => {
        if (state !== 'auth') return
        deps.gate?.failed('')
        close(WsCloseCode.unauthorized, `no auth message within ${Math.round(options.authTimeoutMs / 1000)} s`)
      }, options.authTimeoutMs)
    },
    receive(text) {
      if (state === 'closed') return
      const parsed = parseClientMessage(text)
      if (state === 'auth') {
        if (!parsed.ok) return error('WS_E_BAD_MESSAGE', parsed.message, parsed.id)
        if (parsed.msg.type !== 'auth')
          return close(WsCloseCode.unauthorized, 'authentication required: send {"type":"auth","token":…} first')
        return authenticate(parsed.msg.token)
      }
      lastHeardAt = timers.now()
      if (!parsed.ok) return error('WS_E_BAD_MESSAGE', parsed.message, parsed.id)
      const msg = parsed.msg
      switch (msg.type) {
        case 'ping':
          return send({ type: 'pong' })
        case 'auth':
          return error('WS_E_BAD_MESSAGE', `type: already authenticated as ${operator?.name}`)
        case 'subscribe':
          // Never a promise left to reject unobserved (that would end the process).
          subscribe(msg).catch((err: unknown) => {
            log.error({ err, id: msg.id }, 'subscription failed')
            if (state !== 'closed') error('WS_E_INTERNAL', 'the view could not be read; subscribe again', msg.id)
          })
          return
        case 'unsubscribe':
          return unsubscribe(msg.id)
      }
    },
    close,
    recheck() {
      if (state !== 'ready') return
      const op = authenticator.verify(token)
      // Revoked (or the account removed): the open subscriptions end now, not at the next subscribe.
      if (!op) close(WsCloseCode.unauthorized, 'token no longer valid')
      else if (!allows(op.role, 'viewer')) close(WsCloseCode.unauthorized, `role ${op.role} may not subscribe`)
    },
    closed() {
      if (state !== 'closed') teardown()
    },
    state: () => state,
    subscriptions: () => subs.size
  }
}
