import { readFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import tls from 'node:tls'
import type { Duplex } from 'node:stream'
import { Aedes } from 'aedes'
import type { PublishPacket } from 'aedes'
import type { Logger } from 'pino'
import { WebSocketServer, createWebSocketStream } from 'ws'
import type { Fact } from '../contracts/facts.ts'
import type { RejectionNotice } from '../contracts/rejection.ts'
import { errorsTopic, factsTopic, filterMatchesFacts } from '../contracts/topics.ts'
import type { Accounts } from './auth.ts'
import type { MqttLimits } from '../lib/config.ts'
import { createAdmission } from './admission.ts'
import { createConnections, type Connection, type ConnectionCounters } from './connections.ts'
import { CONNECTION, installHooks, type Inbound } from './hooks.ts'
import { createPipeline } from './pipeline.ts'
import { createLocalFacts } from './localFacts.ts'
import { createNoticeLimiter } from './notices.ts'
import { closeServer, listen } from './listen.ts'
import { boundOfflineQueues } from './offlineQueues.ts'
import type { ClusterBackends } from './cluster.ts'
import { followRemoteFacts } from './remoteFacts.ts'

export interface BrokerOptions {
  readonly host: string
  /** 0 picks a free port. */
  readonly mqttPort: number
  /** MQTT over WebSocket; 0 picks a free port, null disables it. */
  readonly wsPort: number | null
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | undefined
  readonly allowAnonymous: boolean
  readonly limits: {
    readonly maxPacketBytes: number
    readonly maxTopicLevels: number
    readonly maxClientIdLength: number
  }
  readonly mqtt: MqttLimits
}

export interface BrokerDeps {
  readonly accounts: Accounts & { onChange(listener: () => void): () => void }
  /** An authorised PUBLISH; its PUBACK waits until this resolves (ingest makes it durable). */
  readonly onPublish: (inbound: Inbound) => Promise<void>
  readonly log: Logger
  readonly now?: () => number
  /** Cluster mode (broker/cluster.ts): sessions and routing shared through Redis. */
  readonly cluster?: ClusterBackends
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
  /** Publishes waiting for their PUBACK (being made durable), their payload bytes, clients not read meanwhile. */
  publishesHeld: number
  publishesHeldBytes: number
  clientsPausedForAcks: number
  /** Cluster mode: facts batches other nodes committed, folded here. */
  remoteFactBatches: number
}

export interface Broker {
  readonly aedes: Aedes
  /** Open the MQTT (and MQTT over WebSocket) listeners; once. */
  listen(): Promise<void>
  /** The bound ports, known once listen() resolved. */
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

/** In-process facts batches waiting for the next event-loop turn before they are handed over inline. */
const MAX_PENDING_FACT_BATCHES = 1000

/**
 * Build the broker without opening its listeners: whatever handles its messages may need the
 * broker's own publishFacts/notifyDevice, so it is built in between and listen() comes last.
 */
export async function createBroker(opts: BrokerOptions, deps: BrokerDeps): Promise<Broker> {
  const log = deps.log
  const clock = deps.now ?? Date.now
  const connCounters: ConnectionCounters = {
    oversizeDisconnects: 0,
    slowClientDisconnects: 0,
    inflightDisconnects: 0,
    idleDisconnects: 0
  }
  const admission = createAdmission({ ...opts.mqtt, maxConnectionsPerAddress: opts.mqtt.maxConnectionsPerAddress }, log)
  const connections = createConnections({
    limits: opts.mqtt,
    maxPacketBytes: opts.limits.maxPacketBytes,
    admission,
    log,
    counters: connCounters
  })
  const localFacts = createLocalFacts({ log, maxPending: MAX_PENDING_FACT_BATCHES })
  const notices = createNoticeLimiter({
    burst: opts.mqtt.noticeBurst,
    perSecond: opts.mqtt.noticeRatePerS,
    maxDevices: 100_000
  })

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
    drainTimeout: 30_000,
    ...(deps.cluster ? { persistence: deps.cluster.persistence, mq: deps.cluster.mq } : {})
  })

  // A persistent session's queue gets the same bounds as a connected client; half the bytes,
  // so that on reconnect the whole queue fits with room to spare.
  // In cluster mode a session's queue is filled by whichever node takes the PUBLISH and emptied
  // by the node its client is on, so no node can count it: the Redis persistence bounds it
  // instead (messages handed over on CONNECT, and their age; broker/cluster.ts).
  const offline = deps.cluster
    ? { ended: () => 0 }
    : boundOfflineQueues(
        aedes,
        { maxCount: opts.mqtt.maxInflight, maxBytes: Math.floor(opts.mqtt.maxOutgoingBytes / 2) },
        log
      )
  // Facts committed on other nodes reach this node's in-process consumers once: own facts are
  // handed over directly (publishFacts), so the shared emitter's copy of them is skipped.
  const remote = deps.cluster ? await followRemoteFacts(aedes, localFacts, log) : undefined
  // Cluster mode: a persistence call that fails (a Redis error) is emitted here; without a
  // listener it would end the process.
  if (deps.cluster)
    (aedes as unknown as NodeJS.EventEmitter).on('error', (err: Error) =>
      log.error({ err: err.message }, 'broker persistence error')
    )

  const pipeline = createPipeline(
    { window: opts.mqtt.receiveWindow, maxBytes: opts.mqtt.readAheadMaxBytes },
    log.child({ part: 'pipeline' })
  )
  const hooks = installHooks(aedes, {
    pipeline,
    accounts: deps.accounts,
    allowAnonymous: opts.allowAnonymous,
    maxClientIdLength: opts.limits.maxClientIdLength,
    mqtt: opts.mqtt,
    admission,
    onPublish: deps.onPublish,
    log,
    clock
  })

  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'client error'))
  aedes.on('connectionError', (client, err) =>
    log.debug({ clientId: client?.id, err: err.message }, 'connection error')
  )

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
  let mqttPort = 0

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
  }

  const sweeper = setInterval(() => admission.sweep(clock()), Math.min(opts.mqtt.authFailWindowMs, 60_000))
  sweeper.unref()

  // Called from ingest's commit path (before the PUBACK): never throws into it.
  function publishInternal(topic: string, body: unknown): void {
    try {
      const packet = {
        cmd: 'publish',
        topic,
        payload: Buffer.from(JSON.stringify(body)),
        qos: 1,
        retain: false,
        dup: false
      } as PublishPacket
      aedes.publish(packet, (err) => {
        if (err) log.error({ err, topic }, 'internal publish failed')
      })
    } catch (err) {
      log.error({ err, topic }, 'internal publish failed')
    }
  }

  // Facts go over MQTT only once some client has subscribed to a filter that can match them
  // (a service account, a dashboard-api in its own process): until then serialising them for
  // the router would be spent on nobody. Once set it stays set, so a persistent session that
  // subscribed and went offline still gets them queued. In cluster mode other nodes follow
  // every node's facts through the shared emitter (broker/remoteFacts.ts): always published.
  let factsWatched = deps.cluster !== undefined
  const watchFacts = (subs: readonly { topic: string }[]): void => {
    if (!factsWatched && subs.some((s) => filterMatchesFacts(s.topic))) factsWatched = true
  }
  aedes.on('subscribe', watchFacts)

  let listening = false
  return {
    aedes,
    async listen() {
      if (listening) throw new Error('the broker is already listening')
      listening = true
      mqttPort = await listen(mqttServer, opts.host, opts.mqttPort)
      if (wsServer && opts.wsPort !== null) wsPort = await listen(wsServer, opts.host, opts.wsPort)
    },
    get mqttPort() {
      return mqttPort
    },
    get wsPort() {
      return wsPort
    },
    publishFacts(deviceId, facts) {
      localFacts.publish(facts)
      if (factsWatched) publishInternal(factsTopic(deviceId), { v: 1, facts })
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
        ...hooks.counters,
        ...connCounters,
        authFailures: a.authFailures,
        authThrottled: a.throttledAttempts,
        connectionsRefusedByAddress: a.refusedByAddress,
        noticesSuppressed: notices.stats().suppressed,
        factsListenerErrors: localFacts.stats().listenerErrors,
        persistentSessionsEnded: offline.ended(),
        publishesHeld: pipeline.stats.held,
        publishesHeldBytes: pipeline.stats.heldBytes,
        clientsPausedForAcks: pipeline.stats.pausedClients,
        remoteFactBatches: remote?.batches() ?? 0
      }
    },
    async close() {
      hooks.stop()
      clearInterval(sweeper)
      for (const ws of wss?.clients ?? []) ws.terminate()
      await Promise.all([closeServer(mqttServer), wsServer ? closeServer(wsServer) : undefined])
      await remote?.stop()
      await deps.cluster?.destroy()
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
    }
  }
}
