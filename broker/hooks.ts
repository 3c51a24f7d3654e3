// Aedes' hooks: who may connect (preConnect, authenticate), publish (authorizePublish) and
// subscribe (authorizeSubscribe), and dropping clients whose account was revoked. The
// listeners and the broker's lifecycle are in broker/server.ts.
import type { Duplex } from 'node:stream'
import type { Aedes, AuthenticateError, Client } from 'aedes'
import type { Logger } from 'pino'
import type { Kind } from '../contracts/device/index.ts'
import type { MqttLimits } from '../lib/config.ts'
import { decidePublish, decideSubscribe, type Principal } from './acl.ts'
import type { Admission } from './admission.ts'
import { authenticate, stillValid, CONNACK_IDENTIFIER_REJECTED, type Accounts } from './auth.ts'
import type { Connection } from './connections.ts'
import type { Pipeline } from './pipeline.ts'

/** One authorised PUBLISH, as the broker hands it on. */
export interface Inbound {
  readonly deviceId: string
  readonly kind: Kind
  readonly topic: string
  readonly payload: Uint8Array
  /** Arrival time at the broker, epoch ms. */
  readonly recvMs: number
}

export interface HookDeps {
  readonly accounts: Accounts & { onChange(listener: () => void): () => void }
  readonly allowAnonymous: boolean
  readonly maxClientIdLength: number
  readonly mqtt: Pick<MqttLimits, 'maxConnectionsPerUsername' | 'idleTimeoutMs'>
  readonly admission: Admission
  /** Resolves when the message is durable: the PUBACK waits for it. */
  readonly onPublish: (inbound: Inbound) => Promise<void>
  readonly pipeline: Pipeline
  readonly log: Logger
  readonly clock: () => number
}

export interface Hooks {
  readonly counters: { readonly deniedPublishes: number; readonly connectionsRefusedByUsername: number }
  /** Stop watching the accounts for revocations. */
  stop(): void
}

interface Session {
  readonly principal: Principal
  readonly tokenHash: string | undefined
}

/** Where a connection's guard is kept on the stream aedes handles (set by broker/server.ts). */
export const CONNECTION = Symbol('qingyun.connection')

const SCOPE_SEPARATOR = '/'
/** CONNACK 5 [MQTT-3.2.2.3]: refused by policy (connection limits, throttled authentication). */
const CONNACK_NOT_AUTHORIZED = 5

export function installHooks(aedes: Aedes, deps: HookDeps): Hooks {
  const { log, clock } = deps
  const sessions = new WeakMap<Client, Session>()
  const counters = { deniedPublishes: 0, connectionsRefusedByUsername: 0 }
  /** Per connection, fixed at CONNECT. */
  const accepted = new WeakMap<Client, { conn: Connection; keepalive: number; emptyPersistentId: boolean }>()
  /** Live clients per username, for the per-account connection bound. */
  const byUsername = new Map<string, Set<Client>>()

  aedes.preConnect = (client, packet, done) => {
    const conn = (client.conn as Duplex & { [CONNECTION]?: Connection })[CONNECTION]
    if (conn)
      accepted.set(client, {
        conn,
        keepalive: packet.keepalive ?? 0,
        emptyPersistentId: !packet.clientId && packet.clean === false
      })
    // Scope client ids by username, so one device cannot take over another's session by
    // connecting with its client id ([MQTT-3.1.4-2] disconnects the older client). The
    // original id must still respect the configured length.
    if (packet.clientId && packet.username) packet.clientId = `${packet.username}${SCOPE_SEPARATOR}${packet.clientId}`
    done(null, true)
  }

  const refuse = (
    done: (err: AuthenticateError | null, ok: boolean) => void,
    reason: string,
    returnCode: number
  ): void => done(Object.assign(new Error(reason), { returnCode }) as AuthenticateError, false)

  aedes.authenticate = (client, username, password, done) => {
    const info = accepted.get(client)
    const address = info?.conn.address ?? 'unknown'
    const now = clock()
    // [MQTT-3.1.3-8]: a zero-byte client id needs CleanSession = 1; else CONNACK 2.
    if (info?.emptyPersistentId) return refuse(done, 'empty client id with CleanSession 0', CONNACK_IDENTIFIER_REJECTED)
    if (deps.admission.throttled(address, username, now))
      return refuse(done, 'too many authentication failures', CONNACK_NOT_AUTHORIZED)
    const rawId =
      username && client.id.startsWith(username + SCOPE_SEPARATOR) ? client.id.slice(username.length + 1) : client.id
    if (rawId.length > deps.maxClientIdLength) {
      deps.admission.authFailed(address, username, now, 'client id too long')
      return refuse(done, 'client id too long', CONNACK_IDENTIFIER_REJECTED)
    }
    const result = authenticate(deps.accounts, deps.allowAnonymous, username, password)
    if (!result.ok) {
      deps.admission.authFailed(address, username, now, result.reason)
      return refuse(done, result.reason, result.returnCode)
    }
    if (username !== undefined) {
      const live = byUsername.get(username) ?? new Set<Client>()
      // A client taking over its own session id replaces, not adds, a connection.
      const others = [...live].filter((c) => c.id !== client.id).length
      if (others >= deps.mqtt.maxConnectionsPerUsername) {
        counters.connectionsRefusedByUsername++
        log.warn(
          { username, address, limit: deps.mqtt.maxConnectionsPerUsername },
          'connection refused: account has its maximum of connections'
        )
        return refuse(done, 'too many connections for this account', CONNACK_NOT_AUTHORIZED)
      }
      live.add(client)
      byUsername.set(username, live)
      client.conn.once('close', () => {
        live.delete(client)
        if (live.size === 0 && byUsername.get(username) === live) byUsername.delete(username)
      })
    }
    const p = result.principal
    const tokenHash =
      p.kind === 'device'
        ? deps.accounts.device(p.deviceId)?.tokenHash
        : p.kind === 'service'
          ? deps.accounts.service(p.serviceId)?.tokenHash
          : undefined
    sessions.set(client, { principal: p, tokenHash })
    if (p.kind === 'anonymous' || (p.kind === 'device' && password === undefined)) {
      log.warn(
        { clientId: client.id, username },
        'ANONYMOUS CONNECTION accepted (QINGYUN_ALLOW_ANONYMOUS=true): development only'
      )
    }
    done(null, true)
  }

  aedes.on('clientReady', (client) => {
    const info = accepted.get(client)
    if (info && info.keepalive === 0) info.conn.setIdleLimit(deps.mqtt.idleTimeoutMs)
  })

  aedes.authorizePublish = (client, packet, done) => {
    const session = client ? sessions.get(client) : undefined
    if (!client || !session) return done(new Error('publish from an unauthenticated client'))
    const decision = decidePublish(session.principal, packet.topic, (id) => deps.accounts.device(id))
    if (!decision.ok) {
      counters.deniedPublishes++
      log.warn({ clientId: client.id, topic: packet.topic.slice(0, 256), reason: decision.reason }, 'publish denied')
      // [MQTT-3.3.5-2]: no negative ack in 3.1.1; aedes closes the connection.
      return done(new Error(decision.reason))
    }
    // PUBACK (QoS 1) / PUBREC (QoS 2) is written only after this callback: hold it until
    // the message is durable (docs/architecture.md, decision 1), reading the client's next
    // packets meanwhile (broker/pipeline.ts).
    const payload = packet.payload as Buffer
    const durable = deps.onPublish({
      deviceId: decision.deviceId,
      kind: decision.kind,
      topic: packet.topic,
      payload,
      recvMs: clock()
    })
    deps.pipeline.hold(client, payload.length, durable, (err) => {
      if (err) log.error({ err, clientId: client.id, topic: packet.topic }, 'ingest failed; message not acknowledged')
      done(err)
    })
  }

  aedes.authorizeSubscribe = (client, sub, done) => {
    const session = sessions.get(client)
    const decision = session ? decideSubscribe(session.principal, sub.topic) : { ok: false, reason: 'unauthenticated' }
    if (!decision.ok) {
      log.info({ clientId: client.id, topic: sub.topic.slice(0, 256), reason: decision.reason }, 'subscription refused')
      return done(null, null) // SUBACK 0x80 for this filter; the connection stays up.
    }
    done(null, sub)
  }

  // Revocations and token changes take effect on the running broker: drop the clients whose
  // account no longer lets them in.
  const stopWatching = deps.accounts.onChange(() => {
    // aedes keeps connected clients by id in `clients` (not in its typings).
    for (const client of Object.values((aedes as unknown as { clients: Record<string, Client> }).clients)) {
      const s = sessions.get(client)
      if (s && !stillValid(deps.accounts, s.principal, s.tokenHash)) {
        log.warn({ clientId: client.id }, 'account revoked or changed; disconnecting')
        client.close()
      }
    }
  })

  return { counters, stop: stopWatching }
}
