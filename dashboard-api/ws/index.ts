import websocket from '@fastify/websocket'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { WS_PATH, WsCloseCode } from '../../contracts/ws.ts'
import { createAuthGuard, type AuthGuard } from '../auth/guard.ts'
import type { FailureLimiter } from '../auth/limiter.ts'
import { bearerToken } from '../auth/plugin.ts'
import type { Authenticator } from '../auth/types.ts'
import type { Model } from '../model/types.ts'
import { WsOptions, type WsOptionsInput } from './options.ts'
import { createOutbox } from './outbox.ts'
import { trackReads } from './unread.ts'
import { createStreamRegistry } from './streams.ts'
import { createSession, type AuthGate, type Session } from './session.ts'
import { realTimers, type Timers } from '../../lib/clock.ts'

export { WsOptions, type WsOptionsInput } from './options.ts'

/** RFC 6455 §7.4.1: a message that violates the server's policy (here: too many connections). */
const POLICY_VIOLATION = 1008

export interface WsDeps {
  readonly model: Model
  readonly authenticator: Authenticator
  /** The REST API's failure limiter, so failed websocket logins count against the same budget. */
  readonly limiter?: FailureLimiter
  readonly log: Logger
  readonly options?: WsOptionsInput
  readonly timers?: Timers
}

export interface WsStats {
  readonly connections: number
  readonly streams: number
  /** Connections closed by the server, by close code. */
  readonly closedByServer: Readonly<Record<number, number>>
}

export interface WsHandle {
  stats(): WsStats
}

/** The Bearer token of the upgrade; '' for a header that is not one (it fails: 4401). */
const bearer = (header: string | undefined): string | undefined =>
  header === undefined ? undefined : (bearerToken(header) ?? '')

function gateFor(guard: AuthGuard, ip: string): AuthGate {
  return {
    failed(token) {
      const c = guard.check(ip, token === '' ? undefined : token)
      return !c.ok && c.blocked ? c.retryAfterS : undefined
    }
  }
}

/**
 * The websocket protocol v1 at GET /api/v1/ws (see README.md). Registers @fastify/websocket
 * when the app does not have it yet; streams close with the app.
 */
export async function registerWs(app: FastifyInstance, deps: WsDeps): Promise<WsHandle> {
  const options = WsOptions.parse(deps.options ?? {})
  const timers = deps.timers ?? realTimers
  const log = deps.log.child({ component: 'ws' })
  if (!app.hasDecorator('websocketServer')) await app.register(websocket, { options: { maxPayload: 64 * 1024 } })
  const registry = createStreamRegistry({ model: deps.model, timers, log, options })
  const sessions = new Set<Session>()
  const closedByServer: Record<number, number> = {}
  const perAddress = new Map<string, number>()
  const guard = deps.limiter ? createAuthGuard({ authenticator: deps.authenticator, limiter: deps.limiter }) : undefined

  // config.public: the auth plugin (auth/plugin.ts) must not demand a header on the upgrade —
  // browsers cannot send one; the protocol authenticates (header or auth message) itself.
  app.get(WS_PATH, { websocket: true, config: { public: true } }, (socket, req) => {
    // 1013 "try again later" while the model rebuilds today (clients reconnect with backoff).
    if (!deps.model.ready()) {
      socket.close(1013, 'starting: rebuilding today from InfluxDB')
      return
    }
    const ip = req.ip
    const open = perAddress.get(ip) ?? 0
    if (open >= options.maxConnectionsPerAddress) {
      closedByServer[POLICY_VIOLATION] = (closedByServer[POLICY_VIOLATION] ?? 0) + 1
      log.warn({ remote: ip, open }, 'websocket refused: too many connections from the address')
      const max = options.maxConnectionsPerAddress
      socket.close(POLICY_VIOLATION, `too many connections from this address (at most ${max})`)
      return
    }
    perAddress.set(ip, open + 1)
    let session: Session | undefined = undefined
    let grace: unknown
    // The outbox's bound counts bytes the client has not read, kernel buffers included (unread.ts).
    const reads = trackReads(socket, () => outbox.drain())
    const outbox = createOutbox(reads, options, (o) => {
      log.warn({ remote: ip, ...o, maxBufferedBytes: options.maxBufferedBytes }, 'websocket client too slow')
      session?.close(WsCloseCode.tooSlow, `too slow: more than ${options.maxBufferedBytes} bytes waiting`)
    })
    session = createSession({
      conn: {
        send: (text) => void outbox.push(text),
        close(code, reason) {
          closedByServer[code] = (closedByServer[code] ?? 0) + 1
          outbox.close()
          socket.close(code, reason)
          // The close frame waits behind whatever the client has not read; ws would hold the
          // socket (and those bytes) for 30 s. Ours is shorter.
          grace = timers.setTimeout(() => socket.terminate(), options.closeGraceMs)
        }
      },
      authenticator: deps.authenticator,
      ...(guard ? { gate: gateFor(guard, ip) } : {}),
      model: deps.model,
      registry,
      timers,
      log: log.child({ remote: req.ip }),
      options
    })
    const s = session
    sessions.add(s)
    socket.on('message', (data, isBinary) => s.receive(isBinary ? undefined : data.toString()))
    socket.on('close', () => {
      if (grace !== undefined) timers.clearTimeout(grace)
      const left = (perAddress.get(ip) ?? 1) - 1
      if (left > 0) perAddress.set(ip, left)
      else perAddress.delete(ip)
      outbox.close()
      s.closed()
      sessions.delete(s)
    })
    socket.on('error', (err) => log.warn({ err: err.message }, 'websocket error'))
    // An empty string for a malformed Authorization header: it fails verification (4401).
    s.start(bearer(req.headers.authorization))
  })

  const unsubscribeUsers = deps.authenticator.onChange?.(() => {
    for (const s of [...sessions]) s.recheck()
  })
  app.addHook('onClose', async () => {
    unsubscribeUsers?.()
    for (const s of [...sessions]) s.close(WsCloseCode.goingAway, 'server shutting down')
    registry.close()
  })

  return {
    stats: () => ({ connections: sessions.size, streams: registry.size(), closedByServer: { ...closedByServer } })
  }
}
