import { readFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import tls from 'node:tls'
import type { Duplex } from 'node:stream'
import { Aedes } from 'aedes'
import type { Client, PublishPacket } from 'aedes'
import type { Logger } from 'pino'
import { WebSocketServer, createWebSocketStream } from 'ws'
import type { Fact } from '../contracts/facts.ts'
import type { RejectionNotice } from '../contracts/rejection.ts'
import { FACTS_FILTER, errorsTopic, factsTopic } from '../contracts/topics.ts'
import type { Ingest } from '../ingest/ingest.ts'
import { decidePublish, decideSubscribe, type Principal } from './acl.ts'
import { authenticate, stillValid, CONNACK_IDENTIFIER_REJECTED, type Accounts } from './auth.ts'
import { guardConnection } from './frameGuard.ts'

export interface BrokerOptions {
  readonly host: string
  /** 0 picks a free port. */
  readonly mqttPort: number
  /** MQTT over WebSocket; 0 picks a free port, null disables it. */
  readonly wsPort: number | null
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | undefined
  readonly allowAnonymous: boolean
  readonly limits: { readonly maxPacketBytes: number; readonly maxTopicLevels: number; readonly maxClientIdLength: number }
}

export interface BrokerDeps {
  readonly accounts: Accounts & { onChange(listener: () => void): () => void }
  /** Late-bound: the broker publishes what ingest commits, and ingest needs the broker's publish. */
  readonly ingest: () => Ingest
  readonly log: Logger
  readonly clock?: () => number
}

export interface Broker {
  readonly aedes: Aedes
  readonly mqttPort: number
  readonly wsPort: number | null
  /** Publish committed facts on the internal namespace. */
  publishFacts(deviceId: string, facts: readonly Fact[]): void
  /** Tell a device why (part of) its message was rejected. */
  notifyDevice(deviceId: string, notice: RejectionNotice): void
  /** In-process subscription to committed facts (what a service account gets over MQTT). */
  onFacts(listener: (facts: readonly Fact[]) => void): Promise<() => Promise<void>>
  stats(): { connectedClients: number; deniedPublishes: number; oversizeDisconnects: number; authFailures: number }
  close(): Promise<void>
}

interface Session {
  readonly principal: Principal
  readonly tokenHash: string | undefined
}

const SCOPE_SEPARATOR = '/'

export async function startBroker(opts: BrokerOptions, deps: BrokerDeps): Promise<Broker> {
  const log = deps.log
  const clock = deps.clock ?? Date.now
  const sessions = new WeakMap<Client, Session>()
  const counters = { deniedPublishes: 0, oversizeDisconnects: 0, authFailures: 0 }

  const aedes = await Aedes.createBroker({
    maxTopicLevels: opts.limits.maxTopicLevels,
    maxClientsIdLength: opts.limits.maxClientIdLength,
    // A frozen subscriber must not stall delivery to everyone else.
    drainTimeout: 30_000
  })

  // Scope client ids by username, so one device cannot take over another's session by
  // connecting with its client id ([MQTT-3.1.4-2] disconnects the older client). The
  // original id must still respect the configured length.
  aedes.preConnect = (client, packet, done) => {
    if (packet.clientId && packet.username) packet.clientId = `${packet.username}${SCOPE_SEPARATOR}${packet.clientId}`
    done(null, true)
  }

  aedes.authenticate = (client, username, password, done) => {
    const rawId = username && client.id.startsWith(username + SCOPE_SEPARATOR) ? client.id.slice(username.length + 1) : client.id
    if (rawId.length > opts.limits.maxClientIdLength) {
      counters.authFailures++
      log.warn({ clientId: rawId.slice(0, 64), length: rawId.length }, 'client id too long')
      return done(Object.assign(new Error('client id too long'), { returnCode: CONNACK_IDENTIFIER_REJECTED }), false)
    }
    const result = authenticate(deps.accounts, opts.allowAnonymous, username, password)
    if (!result.ok) {
      counters.authFailures++
      log.warn({ username, reason: result.reason, remote: remoteOf(client) }, 'connection refused')
      return done(Object.assign(new Error(result.reason), { returnCode: result.returnCode }), false)
    }
    const p = result.principal
    const tokenHash = p.kind === 'device' ? deps.accounts.device(p.deviceId)?.tokenHash : p.kind === 'service' ? deps.accounts.service(p.serviceId)?.tokenHash : undefined
    sessions.set(client, { principal: p, tokenHash })
    if (p.kind === 'anonymous' || (p.kind === 'device' && password === undefined)) {
      log.warn({ clientId: client.id, username }, 'ANONYMOUS CONNECTION accepted (QINGYUN_ALLOW_ANONYMOUS=true): development only')
    }
    done(null, true)
  }

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

  const handle = (conn: Duplex): void => {
    const guarded = guardConnection(conn, opts.limits.maxPacketBytes, (bytes) => {
      counters.oversizeDisconnects++
      log.warn({ bytes, limit: opts.limits.maxPacketBytes, remote: (conn as net.Socket).remoteAddress }, 'packet too large; connection closed')
    })
    aedes.handle(guarded)
  }

  const tlsOpts = opts.tls ? { cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile) } : undefined
  const mqttServer = tlsOpts ? tls.createServer(tlsOpts, handle) : net.createServer(handle)
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
    wss.on('connection', (ws) => handle(createWebSocketStream(ws)))
    wsPort = await listen(wsServer, opts.host, opts.wsPort)
  }

  function publishInternal(topic: string, body: unknown): void {
    const packet = { cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(body)), qos: 1, retain: false, dup: false } as PublishPacket
    aedes.publish(packet, (err) => {
      if (err) log.error({ err, topic }, 'internal publish failed')
    })
  }

  return {
    aedes,
    mqttPort,
    wsPort,
    publishFacts: (deviceId, facts) => publishInternal(factsTopic(deviceId), { v: 1, facts }),
    notifyDevice: (deviceId, notice) => publishInternal(errorsTopic(deviceId), notice),
    async onFacts(listener) {
      const deliver = (packet: PublishPacket, cb: () => void): void => {
        try {
          const msg = JSON.parse(packet.payload.toString()) as { facts: Fact[] }
          listener(msg.facts)
        } catch (err) {
          log.error({ err }, 'facts listener failed')
        }
        cb()
      }
      await new Promise<void>((resolve) => aedes.subscribe(FACTS_FILTER, deliver, () => resolve()))
      return () => new Promise<void>((resolve) => aedes.unsubscribe(FACTS_FILTER, deliver, () => resolve()))
    },
    stats: () => ({ connectedClients: aedes.connectedClients, ...counters }),
    async close() {
      stopWatching()
      for (const ws of wss?.clients ?? []) ws.terminate()
      await Promise.all([closeServer(mqttServer), wsServer ? closeServer(wsServer) : undefined])
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
    }
  }
}

function remoteOf(client: Client): string | undefined {
  return (client.conn as unknown as { remoteAddress?: string }).remoteAddress
}

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    // close() waits for open connections; aedes.close() ends the MQTT ones.
    ;(server as http.Server).closeAllConnections?.()
  })
}
