import { readFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import tls from 'node:tls'
import type { Duplex } from 'node:stream'
import { Aedes } from 'aedes'
import type { AuthenticateError, Client, PublishPacket } from 'aedes'
import type { Logger } from 'pino'
import { WebSocketServer, createWebSocketStream } from 'ws'
import type { Fact } from '../contracts/facts.ts'
import type { RejectionNotice } from '../contracts/rejection.ts'
import { errorsTopic, factsTopic } from '../contracts/topics.ts'
import type { Ingest } from '../ingest/ingest.ts'
import { decidePublish, decideSubscribe, type Principal } from './acl.ts'
import { authenticate, stillValid, CONNACK_IDENTIFIER_REJECTED, type Accounts } from './auth.ts'
import type { MqttLimits } from '../lib/config.ts'
import { createAdmission } from './admission.ts'
import { createConnections, type Connection, type ConnectionCounters } from './connections.ts'
import { createLocalFacts } from './localFacts.ts'
import { createNoticeLimiter } from './notices.ts'
import { closeServer, listen } from './listen.ts'
import { boundOfflineQueues } from './offlineQueues.ts'

export interface BrokerOptions {
  readonly host: string
  /** 0 picks a free port. */
  readonly mqttPort: number
  /** MQTT over WebSocket; 0 picks a free port, null disables it. */
  readonly wsPort: number | null
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | undefined
  readonly allowAnonymous: boolean
  readonly limits: { readonly maxPacketBytes: number; readonly maxTopicLevels: number; readonly maxClientIdLength: number }
  readonly mqtt: MqttLimits
}

export interface BrokerDeps {
  readonly accounts: Accounts & { onChange(listener: () => void): () => void }
  /** Late-bound: the broker publishes what ingest commits, and ingest needs the broker's publish. */
  readonly ingest: () => Ingest
  readonly log: Logger
  readonly now?: () => number
}

export interface BrokerStats extends ConnectionCounters {
  connectedClients: number
  deniedPublishes: number
  authFailures: number
  authThrottled: number
  connectionsRefusedByAddress: number
  connectionsRefusedByUsername: number
  noticesSuppressed: number
  factsListenerErrors: number
  persistentSessionsEnded: number
}

export interface Broker {
  readonly aedes: Aedes
  readonly mqttPort: number
  readonly wsPort: number | null
  /** Publish committed facts: to in-process listeners directly, to service accounts over MQTT. */
  publishFacts(deviceId: string, facts: readonly Fact[]): void
  /** Tell a device why (part of) its message was rejected (rate-limited per device). */
  notifyDevice(deviceId: string, notice: RejectionNotice): void
  /** In-process subscription to committed facts (what a service account gets over MQTT). */
  onFacts(listener: (facts: readonly Fact[]) => void): Promise<() => Promise<void>>
  stats(): BrokerStats
  close(): Promise<void>
}

interface Session {
  readonly principal: Principal
  readonly tokenHash: string | undefined
}

const SCOPE_SEPARATOR = '/'
/** CONNACK 5 [MQTT-3.2.2.3]: refused by policy (connection limits, throttled authentication). */
const CONNACK_NOT_AUTHORIZED = 5
/** In-process facts batches waiting for the next event-loop turn before they are handed over inline. */
const MAX_PENDING_FACT_BATCHES = 1000

export async function startBroker(opts: BrokerOptions, deps: BrokerDeps): Promise<Broker> {
  const log = deps.log
  const clock = deps.now ?? Date.now
  const sessions = new WeakMap<Client, Session>()
  const counters = { deniedPublishes: 0, connectionsRefusedByUsername: 0 }
  const connCounters: ConnectionCounters = { oversizeDisconnects: 0, slowClientDisconnects: 0, inflightDisconnects: 0, idleDisconnects: 0 }
  const admission = createAdmission({ ...opts.mqtt, maxConnectionsPerAddress: opts.mqtt.maxConnectionsPerAddress }, log)
  const connections = createConnections({ limits: opts.mqtt, maxPacketBytes: opts.limits.maxPacketBytes, admission, log, counters: connCounters })
  const localFacts = createLocalFacts({ log, maxPending: MAX_PENDING_FACT_BATCHES })
  const notices = createNoticeLimiter({ burst: opts.mqtt.noticeBurst, perSecond: opts.mqtt.noticeRatePerS, maxDevices: 100_000 })
  /** Per connection, fixed at CONNECT. */
  const accepted = new WeakMap<Client, { conn: Connection; keepalive: number; emptyPersistentId: boolean }>()
  /** Live clients per username, for the per-account connection bound. */
  const byUsername = new Map<string, Set<Client>>()

  const aedes = await Aedes.createBroker({
    maxTopicLevels: opts.limits.maxTopicLevels,
    maxClientsIdLength: opts.limits.maxClientIdLength,
    // No shared pool of delivery slots: mqemitter's concurrency queue is unbounded and, once
    // full, one client that stops reading holds every slot (each delivery waits for its
    // socket to drain) and with them every publisher's callback and so its next PUBACK. Our
    // connection guard completes writes at once and cuts a client over its outgoing bound
    // (broker/frameGuard.ts), so a delivery never waits on a client and needs no slot.
    concurrency: 0,
    // Not reached: the guard never reports a full socket for longer than one tick.
    drainTimeout: 30_000
  })

  // A persistent session's queue gets the same bounds as a connected client; half the bytes,
  // so that on reconnect the whole queue fits with room to spare.
  const offline = boundOfflineQueues(aedes, { maxCount: opts.mqtt.maxInflight, maxBytes: Math.floor(opts.mqtt.maxOutgoingBytes / 2) }, log)

  aedes.preConnect = (client, packet, done) => {
    const conn = (client.conn as Duplex & { [CONNECTION]?: Connection })[CONNECTION]
    if (conn) accepted.set(client, { conn, keepalive: packet.keepalive ?? 0, emptyPersistentId: !packet.clientId && packet.clean === false })
    // Scope client ids by username, so one device cannot take over another's session by
    // connecting with its client id ([MQTT-3.1.4-2] disconnects the older client). The
    // original id must still respect the configured length.
    if (packet.clientId && packet.username) packet.clientId = `${packet.username}${SCOPE_SEPARATOR}${packet.clientId}`
    done(null, true)
  }

  const refuse = (done: (err: AuthenticateError | null, ok: boolean) => void, reason: string, returnCode: number): void =>
    done(Object.assign(new Error(reason), { returnCode }) as AuthenticateError, false)

  aedes.authenticate = (client, username, password, done) => {
    const info = accepted.get(client)
    const address = info?.conn.address ?? 'unknown'
    const now = clock()
    // [MQTT-3.1.3-8]: a zero-byte client id needs CleanSession = 1; else CONNACK 2.
    if (info?.emptyPersistentId) return refuse(done, 'empty client id with CleanSession 0', CONNACK_IDENTIFIER_REJECTED)
    if (admission.throttled(address, username, now)) return refuse(done, 'too many authentication failures', CONNACK_NOT_AUTHORIZED)
    const rawId = username && client.id.startsWith(username + SCOPE_SEPARATOR) ? client.id.slice(username.length + 1) : client.id
    if (rawId.length > opts.limits.maxClientIdLength) {
      admission.authFailed(address, username, now, 'client id too long')
      return refuse(done, 'client id too long', CONNACK_IDENTIFIER_REJECTED)
    }
    const result = authenticate(deps.accounts, opts.allowAnonymous, username, password)
    if (!result.ok) {
      admission.authFailed(address, username, now, result.reason)
      return refuse(done, result.reason, result.returnCode)
    }
    if (username !== undefined) {
      const live = byUsername.get(username) ?? new Set<Client>()
      // A client taking over its own session id replaces, not adds, a connection.
      const others = [...live].filter((c) => c.id !== client.id).length
      if (others >= opts.mqtt.maxConnectionsPerUsername) {
        counters.connectionsRefusedByUsername++
        log.warn({ username, address, limit: opts.mqtt.maxConnectionsPerUsername }, 'connection refused: account has its maximum of connections')
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
    const tokenHash = p.kind === 'device' ? deps.accounts.device(p.deviceId)?.tokenHash : p.kind === 'service' ? deps.accounts.service(p.serviceId)?.tokenHash : undefined
    sessions.set(client, { principal: p, tokenHash })
    if (p.kind === 'anonymous' || (p.kind === 'device' && password === undefined)) {
      log.warn({ clientId: client.id, username }, 'ANONYMOUS CONNECTION accepted (QINGYUN_ALLOW_ANONYMOUS=true): development only')
    }
    done(null, true)
  }

  aedes.on('clientReady', (client) => {
    const info = accepted.get(client)
    if (info && info.keepalive === 0) info.conn.setIdleLimit(opts.mqtt.idleTimeoutMs)
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
    // ingest reports the message durable (design decision 1).
    deps
      .ingest()
      .handle({ deviceId: decision.deviceId, kind: decision.kind, topic: packet.topic, payload: packet.payload as Buffer, recvMs: clock() })
      .then(
        () => done(null),
        (err: unknown) => {
          log.error({ err, clientId: client.id, topic: packet.topic }, 'ingest failed; message not acknowledged')
          done(err as Error)
        }
      )
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

  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'client error'))
  aedes.on('connectionError', (client, err) => log.debug({ clientId: client?.id, err: err.message }, 'connection error'))

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

  const handle = (conn: Duplex, address: string | undefined): void => {
    const c = connections.accept(conn, address ?? 'unknown')
    if (!c) return
    ;(c.stream as Duplex & { [CONNECTION]?: Connection })[CONNECTION] = c
    aedes.handle(c.stream)
  }

  const tlsOpts = opts.tls ? { cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile) } : undefined
  const onSocket = (socket: net.Socket): void => {
    // Acks are small and latency-bound: send them now, not after the peer's delayed ACK.
    socket.setNoDelay(true)
    handle(socket, socket.remoteAddress)
  }
  const mqttServer = tlsOpts ? tls.createServer(tlsOpts, onSocket) : net.createServer(onSocket)
  const mqttPort = await listen(mqttServer, opts.host, opts.mqttPort)

  let wsServer: http.Server | https.Server | undefined
  let wss: WebSocketServer | undefined
  let wsPort: number | null = null
  if (opts.wsPort !== null) {
    wsServer = tlsOpts ? https.createServer(tlsOpts) : http.createServer()
    wss = new WebSocketServer({
      server: wsServer,
      maxPayload: opts.limits.maxPacketBytes,
      handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false)
    })
    wss.on('connection', (ws, req) => handle(createWebSocketStream(ws), req.socket.remoteAddress))
    wsPort = await listen(wsServer, opts.host, opts.wsPort)
  }

  const sweeper = setInterval(() => admission.sweep(clock()), Math.min(opts.mqtt.authFailWindowMs, 60_000))
  sweeper.unref()

  // Called from ingest's commit path (before the PUBACK): never throws into it.
  function publishInternal(topic: string, body: unknown): void {
    try {
      const packet = { cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(body)), qos: 1, retain: false, dup: false } as PublishPacket
      aedes.publish(packet, (err) => {
        if (err) log.error({ err, topic }, 'internal publish failed')
      })
    } catch (err) {
      log.error({ err, topic }, 'internal publish failed')
    }
  }

  return {
    aedes,
    mqttPort,
    wsPort,
    publishFacts(deviceId, facts) {
      localFacts.publish(facts)
      publishInternal(factsTopic(deviceId), { v: 1, facts })
    },
    notifyDevice(deviceId, notice) {
      const admitted = notices.admit(deviceId, notice, clock())
      if (admitted) publishInternal(errorsTopic(deviceId), admitted)
    },
    onFacts(listener) {
      const stop = localFacts.subscribe(listener)
      return Promise.resolve(async () => stop())
    },
    stats: () => {
      const a = admission.stats()
      return {
        connectedClients: aedes.connectedClients,
        ...counters,
        ...connCounters,
        authFailures: a.authFailures,
        authThrottled: a.throttledAttempts,
        connectionsRefusedByAddress: a.refusedByAddress,
        noticesSuppressed: notices.stats().suppressed,
        factsListenerErrors: localFacts.stats().listenerErrors,
        persistentSessionsEnded: offline.ended()
      }
    },
    async close() {
      stopWatching()
      clearInterval(sweeper)
      for (const ws of wss?.clients ?? []) ws.terminate()
      await Promise.all([closeServer(mqttServer), wsServer ? closeServer(wsServer) : undefined])
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
    }
  }
}

/** Where a connection's guard is kept on the stream aedes handles. */
const CONNECTION = Symbol('qingyun.connection')
