import path from 'node:path'
import { z } from 'zod'

// One parseConfig(env) for the process (docs/conventions.md, rule 7). Every variable is validated at
// start; a bad value stops the process with a message that names the variable.

/** MiB per semi-space of V8's young generation the node is started with (node/heap.ts). */
export const DEFAULT_SEMI_SPACE_MIB = 64

const port = z.coerce.number().int().min(0).max(65535)
const positiveInt = z.coerce.number().int().positive()
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes')
const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz })
    return true
  } catch {
    return false
  }
}, 'must be an IANA time zone such as Asia/Shanghai')
const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL such as http://127.0.0.1:8086' })
const redisUrl = z.url({ protocol: /^rediss?$/, message: 'must be a redis(s) URL such as redis://127.0.0.1:6379/0' })

/** Variable name → schema. Names are the public interface; README documents each. */
export const ConfigEnv = z.object({
  QINGYUN_BIND_HOST: z.string().min(1).default('0.0.0.0'),
  QINGYUN_MQTT_PORT: port.default(1883),
  QINGYUN_MQTT_WS_PORT: port.default(8083),
  QINGYUN_HTTP_PORT: port.default(8080),
  QINGYUN_MQTT_TLS_CERT: z.string().min(1).optional(),
  QINGYUN_MQTT_TLS_KEY: z.string().min(1).optional(),
  QINGYUN_DATA_DIR: z.string().min(1).default('./data'),
  QINGYUN_REGISTRY: z.string().min(1).optional(),
  QINGYUN_USERS: z.string().min(1).optional(),
  QINGYUN_INFLUX_URL: httpUrl.optional(),
  QINGYUN_INFLUX_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a database name of letters, digits, _ or -')
    .default('qingyun'),
  QINGYUN_INFLUX_TOKEN: z.string().min(1).optional(),
  QINGYUN_INFLUX_USERNAME: z.string().min(1).optional(),
  QINGYUN_INFLUX_PASSWORD: z.string().min(1).optional(),
  QINGYUN_TZ: timeZone.default('Asia/Shanghai'),
  QINGYUN_ALLOW_ANONYMOUS: bool.default(false),
  QINGYUN_MAX_PAYLOAD_BYTES: positiveInt.max(64 * 1024 * 1024).default(256 * 1024),
  QINGYUN_MAX_TOPIC_LEVELS: positiveInt.max(100).default(8),
  QINGYUN_MAX_CLIENT_ID_LENGTH: positiveInt.max(65535).default(128),
  QINGYUN_TS_MAX_FUTURE_MS: positiveInt.default(10 * 60_000),
  QINGYUN_TS_MAX_AGE_MS: positiveInt.default(30 * 86_400_000),
  QINGYUN_MQTT_MAX_OUTGOING_BYTES: positiveInt.max(1024 * 1024 * 1024).default(4 * 1024 * 1024),
  QINGYUN_MQTT_MAX_INFLIGHT: positiveInt.max(65535).default(1000),
  // Publishes of one client read while its earlier ones wait for their ack (broker/pipeline.ts),
  // and what they hold across the node (payload + 6 KiB each): 24 MiB is some 4,000 messages,
  // more than a group commit gathers at the node's full rate.
  QINGYUN_MQTT_RECEIVE_WINDOW: positiveInt.max(65535).default(16),
  QINGYUN_MQTT_READ_AHEAD_MAX_BYTES: positiveInt.max(1024 ** 3).default(24 * 1024 * 1024),
  QINGYUN_MQTT_MAX_CONNECTIONS_PER_USERNAME: positiveInt.max(10_000).default(4),
  QINGYUN_MQTT_MAX_CONNECTIONS_PER_ADDRESS: positiveInt.default(20_000),
  QINGYUN_MQTT_IDLE_TIMEOUT_MS: positiveInt.default(10 * 60_000),
  QINGYUN_MQTT_AUTH_FAIL_LIMIT: positiveInt.default(10),
  QINGYUN_MQTT_AUTH_FAIL_WINDOW_MS: positiveInt.default(60_000),
  QINGYUN_NOTICE_BURST: positiveInt.max(100_000).default(20),
  QINGYUN_NOTICE_RATE_PER_S: z.coerce.number().positive().max(100_000).default(1),
  // Valid v1 payloads nest 2 deep (a batch of flat objects); the cap keeps every parser and
  // validator far from the stack limit on hostile input (ingest/payload.ts).
  QINGYUN_MAX_JSON_DEPTH: positiveInt.min(2).max(256).default(32),
  QINGYUN_WRITER_MAX_BATCH_LINES: positiveInt.default(5000),
  QINGYUN_WRITER_MAX_IN_FLIGHT: positiveInt.max(64).default(2),
  // How far V8 lets the old generation grow past what survived its last full collection before
  // the next one (node/heap.ts): 20 % kept `sim load` of 10,000 devices × 2,000 msg/s under
  // 512 MiB RSS for 3 minutes, 35 % only for one (README "Running in production", Memory);
  // 0 leaves V8's own (up to 4×).
  QINGYUN_HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(300).default(20),
  // Read by the launchers (scripts/start.sh, the Docker image) as node's --max-semi-space-size;
  // parsed here so a bad value is named, and so the node can tell when it runs with another.
  QINGYUN_SEMI_SPACE_MIB: z.coerce.number().int().min(1).max(1024).default(DEFAULT_SEMI_SPACE_MIB),
  // Recent point identities for recording retransmissions (ingest/duplicates.ts): 16 MiB hold
  // some 210,000, 100 s of 2,000 msg/s.
  QINGYUN_DUPLICATE_CACHE_BYTES: positiveInt
    .min(64 * 1024, 'must be at least 65536 (64 KiB)')
    .max(1024 ** 3)
    .default(16 * 1024 * 1024),
  // A busy day of the sample city is about 1.5 M points, some 300 MB of spool frames: 1 GiB
  // holds a day's backlog with room to spare while InfluxDB is away.
  QINGYUN_SPOOL_DIR: z.string().min(1).optional(),
  QINGYUN_SPOOL_MAX_BYTES: positiveInt.min(1024 * 1024, 'must be at least 1048576 (1 MiB)').default(1024 ** 3),
  QINGYUN_REGISTRY_LOCK_WAIT_MS: positiveInt.max(600_000).default(10_000),
  QINGYUN_REGISTRY_LOCK_STALE_MS: positiveInt.max(3_600_000).default(60_000),
  // dashboard-api's protections (README "Limits and protections").
  QINGYUN_INFLUX_QUERY_TIMEOUT_MS: positiveInt.max(600_000).default(2_000),
  QINGYUN_INFLUX_PING_TIMEOUT_MS: positiveInt.max(60_000).default(1_000),
  QINGYUN_TRUST_PROXY: bool.default(false),
  QINGYUN_DOCS_PUBLIC: bool.default(false),
  QINGYUN_AUTH_MAX_FAILURES: positiveInt.max(10_000).default(10),
  QINGYUN_WS_MAX_BUFFERED_BYTES: positiveInt
    .min(64 * 1024)
    .max(256 * 1024 * 1024)
    .default(2 * 1024 * 1024),
  QINGYUN_WS_MAX_CONNECTIONS_PER_ADDRESS: positiveInt.max(100_000).default(64),
  // GET /metrics needs `Authorization: Bearer <this>` when set (README "Metrics").
  QINGYUN_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').max(1024).optional(),
  QINGYUN_NOTIFY_FILE: z.string().min(1).optional(),
  QINGYUN_NOTIFY_QUEUE_MAX: positiveInt.max(100_000).default(100),
  QINGYUN_NOTIFY_MAX_ATTEMPTS: positiveInt.max(100).default(6),
  QINGYUN_NOTIFY_RETRY_MS: positiveInt.max(3_600_000).default(2_000),
  QINGYUN_NOTIFY_TIMEOUT_MS: positiveInt.max(600_000).default(10_000),
  // Cluster mode (README "Running several nodes"): unset = one embedded node.
  QINGYUN_REDIS_URL: redisUrl.optional(),
  QINGYUN_ALERT_LEASE_TTL_MS: positiveInt.min(1000).max(120_000).default(6000),
  QINGYUN_REDIS_OFFLINE_TTL_S: positiveInt.max(30 * 86_400).default(86_400),
  QINGYUN_TRACK_MAX_FIXES: positiveInt.max(1_000_000).default(50_000),
  QINGYUN_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')
})

export type InfluxAuth =
  { readonly token: string } | { readonly username: string; readonly password: string } | undefined

export interface Config {
  readonly bindHost: string
  readonly mqttPort: number
  readonly mqttWsPort: number
  readonly httpPort: number
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined
  readonly dataDir: string
  readonly registryPath: string
  /** Whether the registry is the default one in the data dir, seeded from the sample. */
  readonly registryIsDefault: boolean
  /** Operator accounts (hashed bearer tokens). */
  readonly usersPath: string
  readonly influx: {
    readonly url: string | undefined
    readonly db: string
    readonly auth: InfluxAuth
    readonly queryTimeoutMs: number
    readonly pingTimeoutMs: number
  }
  readonly tz: string
  readonly allowAnonymous: boolean
  readonly limits: {
    readonly maxPayloadBytes: number
    /** Whole MQTT packets above this close the connection before they are buffered. */
    readonly maxPacketBytes: number
    readonly maxTopicLevels: number
    readonly maxClientIdLength: number
    readonly tsMaxFutureMs: number
    readonly tsMaxAgeMs: number
    readonly maxJsonDepth: number
  }
  /** Per MQTT client and per source (README "Limits and protections"). */
  readonly mqtt: MqttLimits
  readonly writer: { readonly maxBatchLines: number; readonly maxInFlight: number }
  /** Heap budget of ingest's cache of recent point identities. */
  readonly duplicateCacheBytes: number
  /** V8's old-generation growth between full collections, in percent; 0 = V8's own. */
  readonly heapGrowingPercent: number
  /** The young generation the node is meant to run with (node/heap.ts), MiB per semi-space. */
  readonly semiSpaceMiB: number
  /** The local log every message is durable in before its PUBACK. */
  readonly spool: { readonly dir: string; readonly maxBytes: number }
  /** The registry lock (registry/lock.ts): how long a change waits for it, when a held one is abandoned. */
  readonly registryLock: { readonly waitMs: number; readonly staleMs: number }
  /** dashboard-api's protections. */
  readonly api: {
    /** Believe X-Forwarded-For (the client address behind a reverse proxy). */
    readonly trustProxy: boolean
    /** /docs and /docs/json without a token. */
    readonly docsPublic: boolean
    /** Failed authentications per minute per address (and per presented token). */
    readonly authMaxFailures: number
    readonly wsMaxBufferedBytes: number
    readonly wsMaxConnectionsPerAddress: number
    /** Fixes a track replay reads for one vehicle and day at most. */
    readonly trackMaxFixes: number
  }
  /** GET /metrics needs this bearer token; undefined: open. */
  readonly metricsToken: string | undefined
  /** Alert notifications (dashboard-api/notify/README.md); `file` absent: none are sent. */
  readonly notify: {
    readonly file: string | undefined
    readonly queueMax: number
    readonly maxAttempts: number
    readonly retryMs: number
    readonly timeoutMs: number
  }
  readonly logLevel: z.infer<typeof ConfigEnv>['QINGYUN_LOG_LEVEL']
  /** Cluster mode; undefined = one embedded node. */
  readonly redis: { readonly url: string; readonly alertLeaseTtlMs: number; readonly offlineTtlS: number } | undefined
}

export interface MqttLimits {
  /** Bytes buffered for one client that it has not read; over it, the client is cut off. */
  readonly maxOutgoingBytes: number
  /** QoS 1/2 deliveries to one client not yet acknowledged; over it, the client is cut off. */
  readonly maxInflight: number
  /** Publishes of one client read ahead while earlier ones wait to be durable. */
  readonly receiveWindow: number
  /** Payload bytes read ahead across all clients; over it, reading waits for acks. */
  readonly readAheadMaxBytes: number
  readonly maxConnectionsPerUsername: number
  readonly maxConnectionsPerAddress: number
  /** A keepalive-0 connection with no inbound packet for this long is closed. */
  readonly idleTimeoutMs: number
  readonly authFailLimit: number
  readonly authFailWindowMs: number
  readonly noticeBurst: number
  readonly noticeRatePerS: number
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_E_INVALID'
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`)
    this.name = 'ConfigError'
  }
}

/** Headroom for the topic and header bytes of a PUBLISH around its payload. */
const PACKET_OVERHEAD_BYTES = 64 * 1024

export function parseConfig(env: Readonly<Record<string, string | undefined>>, cwd = process.cwd()): Config {
  // Empty strings count as unset, as shells and compose files often pass them.
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('QINGYUN_') && v !== ''))
  const parsed = ConfigEnv.safeParse(present)
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (i) => `${i.path.join('.')}=${JSON.stringify(present[String(i.path[0])] ?? '')}: ${i.message}`
      )
    )
  }
  const e = parsed.data
  const problems: string[] = []
  if (e.QINGYUN_INFLUX_TOKEN && (e.QINGYUN_INFLUX_USERNAME || e.QINGYUN_INFLUX_PASSWORD)) {
    problems.push(
      'QINGYUN_INFLUX_TOKEN: set either a token or QINGYUN_INFLUX_USERNAME/QINGYUN_INFLUX_PASSWORD, not both'
    )
  }
  if (Boolean(e.QINGYUN_INFLUX_USERNAME) !== Boolean(e.QINGYUN_INFLUX_PASSWORD)) {
    problems.push('QINGYUN_INFLUX_USERNAME/QINGYUN_INFLUX_PASSWORD: set both or neither')
  }
  if (Boolean(e.QINGYUN_MQTT_TLS_CERT) !== Boolean(e.QINGYUN_MQTT_TLS_KEY)) {
    problems.push('QINGYUN_MQTT_TLS_CERT/QINGYUN_MQTT_TLS_KEY: set both (PEM files) or neither')
  }
  if (!e.QINGYUN_INFLUX_URL && (e.QINGYUN_INFLUX_TOKEN || e.QINGYUN_INFLUX_USERNAME)) {
    problems.push('QINGYUN_INFLUX_URL: credentials are set but no URL; the embedded InfluxDB needs none')
  }
  // Cluster mode: every node must write one database and read one registry, or a device could
  // not move between nodes and their numbers would differ (README "Running several nodes").
  if (e.QINGYUN_REDIS_URL && !e.QINGYUN_INFLUX_URL) {
    problems.push('QINGYUN_REDIS_URL: several nodes need one shared InfluxDB; set QINGYUN_INFLUX_URL too')
  }
  if (e.QINGYUN_REDIS_URL && !e.QINGYUN_REGISTRY) {
    problems.push('QINGYUN_REDIS_URL: several nodes need one registry; set QINGYUN_REGISTRY to the shared file')
  }
  if (problems.length > 0) throw new ConfigError(problems)

  const dataDir = path.resolve(cwd, e.QINGYUN_DATA_DIR)
  const auth: InfluxAuth = e.QINGYUN_INFLUX_TOKEN
    ? { token: e.QINGYUN_INFLUX_TOKEN }
    : e.QINGYUN_INFLUX_USERNAME && e.QINGYUN_INFLUX_PASSWORD
      ? { username: e.QINGYUN_INFLUX_USERNAME, password: e.QINGYUN_INFLUX_PASSWORD }
      : undefined
  return {
    bindHost: e.QINGYUN_BIND_HOST,
    mqttPort: e.QINGYUN_MQTT_PORT,
    mqttWsPort: e.QINGYUN_MQTT_WS_PORT,
    httpPort: e.QINGYUN_HTTP_PORT,
    tls:
      e.QINGYUN_MQTT_TLS_CERT && e.QINGYUN_MQTT_TLS_KEY
        ? { certFile: path.resolve(cwd, e.QINGYUN_MQTT_TLS_CERT), keyFile: path.resolve(cwd, e.QINGYUN_MQTT_TLS_KEY) }
        : undefined,
    dataDir,
    registryPath: e.QINGYUN_REGISTRY ? path.resolve(cwd, e.QINGYUN_REGISTRY) : path.join(dataDir, 'registry.json'),
    registryIsDefault: !e.QINGYUN_REGISTRY,
    usersPath: e.QINGYUN_USERS ? path.resolve(cwd, e.QINGYUN_USERS) : path.join(dataDir, 'users.json'),
    influx: {
      url: e.QINGYUN_INFLUX_URL,
      db: e.QINGYUN_INFLUX_DB,
      auth,
      queryTimeoutMs: e.QINGYUN_INFLUX_QUERY_TIMEOUT_MS,
      pingTimeoutMs: e.QINGYUN_INFLUX_PING_TIMEOUT_MS
    },
    tz: e.QINGYUN_TZ,
    allowAnonymous: e.QINGYUN_ALLOW_ANONYMOUS,
    limits: {
      maxPayloadBytes: e.QINGYUN_MAX_PAYLOAD_BYTES,
      maxPacketBytes: e.QINGYUN_MAX_PAYLOAD_BYTES * 4 + PACKET_OVERHEAD_BYTES,
      maxTopicLevels: e.QINGYUN_MAX_TOPIC_LEVELS,
      maxClientIdLength: e.QINGYUN_MAX_CLIENT_ID_LENGTH,
      tsMaxFutureMs: e.QINGYUN_TS_MAX_FUTURE_MS,
      tsMaxAgeMs: e.QINGYUN_TS_MAX_AGE_MS,
      maxJsonDepth: e.QINGYUN_MAX_JSON_DEPTH
    },
    mqtt: {
      maxOutgoingBytes: e.QINGYUN_MQTT_MAX_OUTGOING_BYTES,
      maxInflight: e.QINGYUN_MQTT_MAX_INFLIGHT,
      receiveWindow: e.QINGYUN_MQTT_RECEIVE_WINDOW,
      readAheadMaxBytes: e.QINGYUN_MQTT_READ_AHEAD_MAX_BYTES,
      maxConnectionsPerUsername: e.QINGYUN_MQTT_MAX_CONNECTIONS_PER_USERNAME,
      maxConnectionsPerAddress: e.QINGYUN_MQTT_MAX_CONNECTIONS_PER_ADDRESS,
      idleTimeoutMs: e.QINGYUN_MQTT_IDLE_TIMEOUT_MS,
      authFailLimit: e.QINGYUN_MQTT_AUTH_FAIL_LIMIT,
      authFailWindowMs: e.QINGYUN_MQTT_AUTH_FAIL_WINDOW_MS,
      noticeBurst: e.QINGYUN_NOTICE_BURST,
      noticeRatePerS: e.QINGYUN_NOTICE_RATE_PER_S
    },
    writer: { maxBatchLines: e.QINGYUN_WRITER_MAX_BATCH_LINES, maxInFlight: e.QINGYUN_WRITER_MAX_IN_FLIGHT },
    duplicateCacheBytes: e.QINGYUN_DUPLICATE_CACHE_BYTES,
    heapGrowingPercent: e.QINGYUN_HEAP_GROWING_PERCENT,
    semiSpaceMiB: e.QINGYUN_SEMI_SPACE_MIB,
    spool: {
      dir: e.QINGYUN_SPOOL_DIR ? path.resolve(cwd, e.QINGYUN_SPOOL_DIR) : path.join(dataDir, 'spool'),
      maxBytes: e.QINGYUN_SPOOL_MAX_BYTES
    },
    registryLock: { waitMs: e.QINGYUN_REGISTRY_LOCK_WAIT_MS, staleMs: e.QINGYUN_REGISTRY_LOCK_STALE_MS },
    api: {
      trustProxy: e.QINGYUN_TRUST_PROXY,
      docsPublic: e.QINGYUN_DOCS_PUBLIC,
      authMaxFailures: e.QINGYUN_AUTH_MAX_FAILURES,
      wsMaxBufferedBytes: e.QINGYUN_WS_MAX_BUFFERED_BYTES,
      wsMaxConnectionsPerAddress: e.QINGYUN_WS_MAX_CONNECTIONS_PER_ADDRESS,
      trackMaxFixes: e.QINGYUN_TRACK_MAX_FIXES
    },
    metricsToken: e.QINGYUN_METRICS_TOKEN,
    notify: {
      file: e.QINGYUN_NOTIFY_FILE === undefined ? undefined : path.resolve(cwd, e.QINGYUN_NOTIFY_FILE),
      queueMax: e.QINGYUN_NOTIFY_QUEUE_MAX,
      maxAttempts: e.QINGYUN_NOTIFY_MAX_ATTEMPTS,
      retryMs: e.QINGYUN_NOTIFY_RETRY_MS,
      timeoutMs: e.QINGYUN_NOTIFY_TIMEOUT_MS
    },
    logLevel: e.QINGYUN_LOG_LEVEL,
    redis: e.QINGYUN_REDIS_URL
      ? {
          url: e.QINGYUN_REDIS_URL,
          alertLeaseTtlMs: e.QINGYUN_ALERT_LEASE_TTL_MS,
          offlineTtlS: e.QINGYUN_REDIS_OFFLINE_TTL_S
        }
      : undefined
  }
}
