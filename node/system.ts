import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { createBroker, type Broker } from '../broker/server.ts'
import { createAlertEngine } from '../dashboard-api/alerts/engine.ts'
import type { NodeHealth } from '../dashboard-api/alerts/types.ts'
import { buildApp } from '../dashboard-api/app.ts'
import { createUserStore, type UserStore } from '../dashboard-api/auth/users.ts'
import { inProcessFacts } from '../dashboard-api/factSource.ts'
import { alertRules } from '../dashboard-api/alerts/schedule.ts'
import { notifierFromConfig } from '../dashboard-api/notify/index.ts'
import { createModel } from '../dashboard-api/model/model.ts'
import type { Model } from '../dashboard-api/model/types.ts'
import { createInfluxClient, type InfluxClient } from '../influx/client.ts'
import { startLocalInfluxd } from '../influx/local.ts'
import { INFLUXD_CREDENTIALS_FILE, loadOrCreateCredentials } from '../influx/localAuth.ts'
import { createDuplicateCache } from '../ingest/duplicates.ts'
import { createIngest, type Ingest } from '../ingest/ingest.ts'
import { createWriter, type Writer } from '../store/influxWriter.ts'
import type { Sink } from '../store/sink.ts'
import { startForwarder, type Forwarder } from '../store/forwarder.ts'
import { refusalLine } from '../store/refusal.ts'
import { localDate } from '../lib/time.ts'
import { inheritedBacklog } from '../store/backlog.ts'
import { openSpool, type Spool } from '../store/spool.ts'
import { createSpoolSink } from '../store/spoolSink.ts'
import { createLatency } from '../store/stats.ts'
import { registerNodeMetrics, type MessageCounts } from './metrics.ts'
import { semiSpaceGiven } from './heap.ts'
import type { Config } from '../lib/config.ts'
import { retryInBackground } from '../lib/retry.ts'
import { createRegistryStore, type RegistryStore } from '../registry/store.ts'
import { seedRegistry } from '../registry/seed.ts'
import { createNodeCluster, type NodeCluster } from './cluster.ts'

export const SAMPLE_REGISTRY = fileURLToPath(new URL('../registry/sample/wuxi.json', import.meta.url))

export interface System {
  readonly broker: Broker
  readonly ingest: Ingest
  readonly influx: InfluxClient
  /** Where every message is durable before its PUBACK, and the forwarder that drains it into InfluxDB. */
  readonly store: { readonly spool: Spool; readonly forwarder: Forwarder; readonly writer: Writer; readonly sink: Sink }
  readonly registry: RegistryStore
  readonly model: Model
  readonly users: UserStore
  readonly http: FastifyInstance
  readonly httpPort: number
  /** Where the simulator finds the seeded devices' tokens, when the registry was seeded. */
  readonly credentialsPath: string
  /** The embedded influxd's username/password file (mode 0600); undefined with QINGYUN_INFLUX_URL. */
  readonly influxCredentialsPath: string | undefined
  /** Cluster mode (QINGYUN_REDIS_URL); undefined for one embedded node. */
  readonly cluster: NodeCluster | undefined
  stop(): Promise<void>
}

/**
 * Assemble the whole node: InfluxDB (embedded when none is configured), registry, writer,
 * ingest, broker and dashboard-api. Everything is built here and passed in (docs/conventions.md, rule 5).
 */
export async function startSystem(
  config: Config,
  log: Logger,
  /** `now`: the node's clock (the demo's catch-up runs it ahead, devices-sim/demo.ts); `simulated`: the devices are the simulator's. */
  opts: { now?: () => number; simulated?: boolean } = {}
): Promise<System> {
  const now = opts.now ?? Date.now
  const stops: Array<() => Promise<unknown> | unknown> = []
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) {
      try {
        await s()
      } catch (err) {
        log.error({ err }, 'error while stopping')
      }
    }
  }
  try {
    // Tokens, credentials and the embedded InfluxDB's files: for the owner only.
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 })

    let influxUrl = config.influx.url
    let influxAuth = config.influx.auth
    let influxCredentialsPath: string | undefined
    if (!influxUrl) {
      // Loopback is shared with every local user: the embedded influxd requires a login too.
      influxCredentialsPath = path.join(config.dataDir, INFLUXD_CREDENTIALS_FILE)
      const credentials = await loadOrCreateCredentials(influxCredentialsPath)
      const local = await startLocalInfluxd({
        dataDir: path.join(config.dataDir, 'influxdb'),
        log: log.child({ component: 'influxd' }),
        auth: { credentials, path: influxCredentialsPath }
      })
      stops.push(() => local.stop())
      influxUrl = local.url
      influxAuth = credentials
      log.info(
        { url: influxUrl, pid: local.pid, credentials: influxCredentialsPath },
        'embedded InfluxDB started (set QINGYUN_INFLUX_URL to use your own)'
      )
    }
    const influx = createInfluxClient({
      url: influxUrl,
      db: config.influx.db,
      ...(influxAuth ? { auth: influxAuth } : {}),
      queryTimeoutMs: config.influx.queryTimeoutMs,
      pingTimeoutMs: config.influx.pingTimeoutMs,
      log: log.child({ component: 'influx' })
    })
    await ensureDatabaseInBackground(influx, log, stops)

    const credentialsPath = path.join(config.dataDir, 'device-credentials.json')
    if (config.registryIsDefault) {
      const lock = { ...config.registryLock, log }
      const seeded = await seedRegistry({
        samplePath: SAMPLE_REGISTRY,
        registryPath: config.registryPath,
        credentialsPath,
        lock
      })
      if (seeded)
        log.info(
          { registry: config.registryPath, credentials: credentialsPath },
          'registry seeded from the synthetic Wuxi sample; device tokens written for the simulator'
        )
    }
    const registry = await createRegistryStore({
      path: config.registryPath,
      log: log.child({ component: 'registry' }),
      lock: config.registryLock
    })
    stops.push(() => registry.close())

    const writer = createWriter({
      client: influx,
      log: log.child({ component: 'writer' }),
      maxBatchLines: config.writer.maxBatchLines,
      maxInFlight: config.writer.maxInFlight
    })
    // PUBACK means durable in the spool (docs/architecture.md, decision 1); the forwarder
    // carries the spool to InfluxDB behind the acks.
    const spoolLog = log.child({ component: 'spool' })
    const spool = await openSpool({ dir: config.spool.dir, maxBytes: config.spool.maxBytes, log: spoolLog })
    // Before anything new is appended: what this start inherited unforwarded.
    const inherited = await inheritedBacklog(spool, config.tz)
    stops.push(() => spool.close())
    const recovered = spool.stats()
    spoolLog.info(
      {
        dir: config.spool.dir,
        unforwardedRecords: recovered.unforwardedRecords,
        segments: recovered.segments,
        recovery: recovered.recovery
      },
      'spool open'
    )
    const sink = createSpoolSink({ spool, now })
    const forwarder = startForwarder({
      spool,
      writer,
      appendClock: sink.appendClock,
      log: log.child({ component: 'forwarder' }),
      now,
      onRefused: (line, error) => {
        log.error({ line: line.slice(0, 300), error }, 'InfluxDB refused an acknowledged line; recorded as a rejection')
        void writer.write([refusalLine(line, error, now())]).catch(() => undefined)
      }
    })
    // Stopping: the forwarder ends with the batch in flight (the writer's close bounds it);
    // whatever is left stays in the spool for the next start.
    stops.push(async () => {
      const closing = forwarder.close()
      await writer.close()
      await closing
    })

    // Cluster mode: sessions and routing shared through Redis; closed last, after the broker.
    const cluster = config.redis ? createNodeCluster(config.redis, config, log) : undefined
    if (cluster) stops.push(() => cluster.close())
    // A node killed between its spool's fsync and its publish to Redis took the live copies of
    // those facts with it: once what it inherited is in InfluxDB, the other nodes read back
    // what arrived shortly before its end (with Redis reachable, facts are in flight for
    // milliseconds; a minute's margin covers a sluggish link).
    const last = inherited.lastArrivalMs
    if (cluster && last !== undefined) {
      const since = Math.min(last - RESTART_READ_BACK_MS, inherited.earliestMs ?? last)
      void forwarder.forwardedTo(inherited.lastSeq).then(async () => {
        if (forwarder.stats().forwardedSeq < inherited.lastSeq) return // stopped first
        await cluster.announceStored(since).catch((err: Error) => {
          log.warn({ err: err.message }, 'could not tell the other nodes to read back what this node stored')
        })
      })
    }
    // The broker hands messages to ingest, and ingest publishes through the broker: build the
    // broker, then ingest with its publish, and only then let devices in (listen).
    const broker = await createBroker(
      {
        host: config.bindHost,
        mqttPort: config.mqttPort,
        wsPort: config.mqttWsPort,
        tls: config.tls,
        allowAnonymous: config.allowAnonymous,
        limits: config.limits,
        mqtt: config.mqtt
      },
      {
        accounts: registry,
        onPublish: (msg) => ingest.handle(msg),
        log: log.child({ component: 'broker' }),
        now,
        ...(cluster ? { cluster: cluster.backends } : {})
      }
    )
    stops.push(() => broker.close())
    const ingestCore = createIngest({
      sink,
      registry,
      limits: config.limits,
      duplicates: createDuplicateCache({ maxBytes: config.duplicateCacheBytes }),
      log: log.child({ component: 'ingest' }),
      onCommitted: (facts, msg) => broker.publishFacts(msg.deviceId, facts),
      onRejected: (deviceId, notice) => broker.notifyDevice(deviceId, notice)
    })
    // The time a PUBLISH waits for its PUBACK is the time ingest takes to make it durable.
    const puback = createLatency()
    // Two plain increments per message for /metrics; everything else it shows is read when scraped.
    const counts: MessageCounts = { received: 0, acked: 0 }
    const ingest: Ingest = {
      stats: ingestCore.stats,
      async handle(msg) {
        const t0 = performance.now()
        counts.received++
        try {
          await ingestCore.handle(msg)
          counts.acked++
        } finally {
          puback.add(performance.now() - t0)
        }
      }
    }
    await broker.listen()
    if (config.allowAnonymous) {
      log.warn(
        'QINGYUN_ALLOW_ANONYMOUS=true: devices may connect WITHOUT A TOKEN. Development only; never in production.'
      )
    }

    // Alerts go through the spool too, with its small reserve: the alert that says the spool is
    // full must be writable while it is.
    const alertSink = createSpoolSink({ spool, now, reserve: true })
    const notifier = await notifierFromConfig({
      config: config.notify,
      registry: () => registry.current(),
      tz: config.tz,
      log: log.child({ component: 'notify' }),
      now
    })
    if (notifier) stops.push(() => notifier.close())
    const engine = (sink: Sink) =>
      createAlertEngine({
        influx,
        sink,
        log: log.child({ component: 'alerts' }),
        tz: config.tz,
        rules: () => alertRules(registry.current()),
        now,
        ...(notifier ? { onTransitions: notifier.notify } : {})
      })
    // One alert engine per database: in cluster mode the node holding the lease evaluates.
    const alerts = cluster
      ? await cluster.alerts({ owner: broker.aedes.id, sink: alertSink, create: engine, now })
      : engine(alertSink)
    const health = (): NodeHealth => {
      const s = spool.stats()
      return {
        spoolFull: s.full,
        spoolUnforwardedBytes: s.unforwardedBytes,
        spoolMaxBytes: config.spool.maxBytes,
        forwardLagMs: forwarder.stats().lagMs
      }
    }
    // What the model reads from InfluxDB must include everything acknowledged before it reads.
    const stored = (): Promise<void> =>
      withTimeout(
        forwarder.forwardedTo(spool.stats().appendedSeq),
        STORED_WAIT_MS,
        'acknowledged messages are not in InfluxDB yet'
      )
    // Cluster mode: facts missed while the link to other nodes was down are read back (node/cluster.ts).
    const facts = cluster ? cluster.facts(inProcessFacts(broker), influx, now) : inProcessFacts(broker)
    const model = createModel({
      facts,
      influx,
      registry,
      alerts,
      health,
      stored,
      tz: config.tz,
      now,
      log: log.child({ component: 'model' }),
      simulated: opts.simulated ?? false,
      trackMaxFixes: config.api.trackMaxFixes
    })
    stops.push(() => model.close())
    // Closed days the inherited backlog touches: their summaries (perhaps computed by another
    // node meanwhile) must be recomputed once the forwarder has written it.
    const today = localDate(now(), config.tz)
    for (const day of inherited.days) if (day < today) model.markDayChanged?.(day)
    // And the closed days of its last messages: a node killed before it stored its marks for
    // them leaves the stored summaries stale, here and on the other nodes (docs/history.md).
    const lastArrival = inherited.lastArrivalMs
    for (const [day, at] of inherited.recentDays)
      if (day < today && lastArrival !== undefined && at >= lastArrival - RESTART_READ_BACK_MS)
        model.markDayChanged?.(day)
    const users = await createUserStore({ path: config.usersPath, log: log.child({ component: 'users' }) })
    stops.push(() => users.close())

    const http = await buildApp({
      model,
      authenticator: users,
      users,
      registry,
      registryPath: config.registryPath,
      readiness: {
        influx: () => influx.ping(),
        broker: () => !broker.aedes.closed,
        spool: () => !spool.stats().full,
        details: () => ({
          spool: spoolDetails(spool),
          forwarder: forwarder.stats(),
          puback: puback.snapshot(),
          process: processDetails()
        })
      },
      tz: config.tz,
      log,
      api: config.api,
      now,
      metrics: {
        token: config.metricsToken,
        register: (r) =>
          registerNodeMetrics(r, {
            broker: () => broker.stats(),
            ingest: () => ingest.stats(),
            counts,
            puback: () => puback.histogram(),
            spool: () => spool.stats(),
            spoolMaxBytes: config.spool.maxBytes,
            fsync: () => spool.fsyncHistogram(),
            forwarder: () => forwarder.stats(),
            writer: () => writer.stats(),
            writeLatency: () => writer.writeLatency(),
            openAlerts: () => (model.ready() ? model.alerts({ state: 'open' }) : undefined)
          })
      },
      ...(notifier ? { notifications: notifier.records } : {})
    })
    stops.push(() => http.close())
    // Listen first: /healthz answers and /readyz says "not ready" while today is rebuilt
    // (up to half a minute for a busy day), instead of refusing connections.
    await http.listen({ host: config.bindHost, port: config.httpPort })
    // Today's rebuild waits (model deps.stored) for the spool's backlog, from before this start too.
    await startModel(() => model.start(), log, stops)
    const address = http.server.address()
    const httpPort = typeof address === 'object' && address ? address.port : config.httpPort

    return {
      broker,
      ingest,
      influx,
      store: { spool, forwarder, writer, sink },
      registry,
      model,
      users,
      http,
      httpPort,
      credentialsPath,
      influxCredentialsPath,
      cluster,
      stop
    }
  } catch (err) {
    await stop()
    throw err
  }
}

// The young generation the process was started with (node/heap.ts); null: V8's default.
// Fixed for the life of the process.
const SEMI_SPACE_MIB_GIVEN = semiSpaceGiven() ?? null

/** The node's own memory, for `sim load` and operators watching a node under load. */
function processDetails(): {
  rssBytes: number
  heapUsedBytes: number
  heapTotalBytes: number
  externalBytes: number
  arrayBuffersBytes: number
  semiSpaceMiB: number | null
} {
  const m = process.memoryUsage()
  return {
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    // What the heap has reserved (live or not yet collected) and what lives outside it
    // (Buffers: socket reads, payloads): with the RSS they tell garbage from growth.
    heapTotalBytes: m.heapTotal,
    externalBytes: m.external,
    arrayBuffersBytes: m.arrayBuffers,
    semiSpaceMiB: SEMI_SPACE_MIB_GIVEN
  }
}

function spoolDetails(spool: Spool): Record<string, unknown> {
  const s = spool.stats()
  return {
    full: s.full,
    bytesOnDisk: s.bytesOnDisk,
    unforwardedBytes: s.unforwardedBytes,
    unforwardedRecords: s.unforwardedRecords,
    segments: s.segments,
    waitingAppends: s.waitingAppends,
    writeErrors: s.writeErrors,
    lastWriteError: s.lastWriteError,
    fsync: s.fsync
  }
}

/** How long the model waits for the spool's backlog to reach InfluxDB before it reads anyway
 *  (a refresh) or retries (today's rebuild). */
const STORED_WAIT_MS = 15_000
/** After a restart in cluster mode, the other nodes read back what this node received this long before its end. */
const RESTART_READ_BACK_MS = 60_000

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} (waited ${ms} ms)`)), ms)
    timer.unref()
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Rebuild today; when InfluxDB cannot answer yet, keep the node up (the broker holds acks,
 * /readyz says not ready) and retry in the background until it can.
 */
async function startModel(start: () => Promise<void>, log: Logger, stops: Array<() => unknown>): Promise<void> {
  try {
    await start()
    return
  } catch (err) {
    log.error(
      { err: (err as Error).message },
      "today's rebuild from InfluxDB failed; dashboard-api stays not ready and retries"
    )
  }
  const retry = retryInBackground(start, {
    ...START_RETRY,
    onError: (err, retryInMs) => log.warn({ err: (err as Error).message, retryInMs }, "today's rebuild failed again")
  })
  stops.push(() => retry.stop())
  void retry.done.then((rebuilt) => {
    if (rebuilt) log.info('today rebuilt from InfluxDB after a retry; dashboard-api ready')
  })
}

/** The database must exist before writes land; an InfluxDB that is down at start is retried. */
async function ensureDatabaseInBackground(
  influx: InfluxClient,
  log: Logger,
  stops: Array<() => unknown>
): Promise<void> {
  try {
    await influx.ensureDatabase()
    return
  } catch (err) {
    log.error(
      { err: (err as Error).message, url: influx.url },
      'InfluxDB not reachable at start; acks will wait until it is'
    )
  }
  const retry = retryInBackground(() => influx.ensureDatabase(), START_RETRY)
  stops.push(() => retry.stop())
  void retry.done.then((ensured) => {
    if (ensured) log.info('InfluxDB reachable; database ensured')
  })
}

/** Start-up work that waits for InfluxDB: first retry after 1 s, doubling to at most 30 s. */
const START_RETRY = { initialMs: 1000, maxMs: 30_000 }
