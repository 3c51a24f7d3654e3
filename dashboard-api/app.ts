import websocket from '@fastify/websocket'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Logger } from 'pino'
import { z } from 'zod'
import type { Config } from '../lib/config.ts'
import type { RegistryStore } from '../registry/store.ts'
import { createFailureLimiter } from './auth/limiter.ts'
import type { Authenticator } from './auth/types.ts'
import type { Model } from './model/types.ts'
import { registerApi, type ApiDeps } from './routes/index.ts'
import { registerMetrics, type MetricsDeps } from './routes/metrics.ts'
import { registerWeb } from './web/plugin.ts'
import { registerWs, type WsOptionsInput } from './ws/index.ts'

export interface Readiness {
  influx(): Promise<boolean>
  broker(): boolean
  /** The spool has room: devices are being acknowledged. Absent: always. */
  spool?(): boolean
  /** Figures for operators (spool, forwarder, PUBACK latency), shown beside the checks. */
  details?(): Record<string, unknown>
}

export interface AppDeps {
  readonly model: Model
  readonly authenticator: Authenticator
  /** The operator accounts admins manage from the API (ApiDeps['users']). */
  readonly users?: ApiDeps['users']
  readonly registry: RegistryStore
  readonly registryPath: string
  readonly readiness: Readiness
  readonly tz: string
  readonly log: Logger
  readonly ws?: WsOptionsInput
  /** QINGYUN_TRUST_PROXY, QINGYUN_DOCS_PUBLIC, … (lib/config.ts); absent: the defaults. */
  readonly api?: Partial<Config['api']>
  /** What alert notifications were sent (dashboard-api/notify); absent: none configured. */
  readonly notifications?: ApiDeps['notifications']
  readonly now?: () => number
  /** GET /metrics (Prometheus) with the node's collectors; absent: no /metrics. */
  readonly metrics?: MetricsDeps
}

/** The websocket's tunables: QINGYUN_WS_* over the defaults, explicit `ws` options over both. */
function wsOptions(deps: AppDeps): WsOptionsInput {
  const { wsMaxBufferedBytes: max, wsMaxConnectionsPerAddress: perAddress } = deps.api ?? {}
  return {
    // Messages queue once a quarter of the bound is unread, so the bound is reached by a
    // client that stops reading, not by one that reads a burst a little late.
    ...(max !== undefined ? { maxBufferedBytes: max, highWaterBytes: Math.min(256 * 1024, Math.floor(max / 4)) } : {}),
    ...(perAddress !== undefined ? { maxConnectionsPerAddress: perAddress } : {}),
    ...deps.ws
  }
}

const Health = z.object({ status: z.literal('ok') })
const Ready = z.object({
  status: z.enum(['ready', 'not-ready']),
  checks: z.object({ influx: z.boolean(), broker: z.boolean(), model: z.boolean(), spool: z.boolean() }),
  details: z.record(z.string(), z.unknown()).optional()
})

/**
 * The Fastify app without `listen` (conventions: buildApp apart from listen): public health
 * and readiness, the REST API and OpenAPI document (/api/v1, /docs), the websocket protocol
 * (/api/v1/ws) and the operations web page (/).
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // QINGYUN_TRUST_PROXY: only behind a reverse proxy that sets X-Forwarded-For may it be
  // believed; otherwise any client could pick the address its failures are counted against.
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'http' }) as FastifyBaseLogger,
    trustProxy: deps.api?.trustProxy ?? false,
    // No log line per successful request at info (docs/conventions.md, rule 9): one line per request
    // at debug, below; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true })
  })
  app.addHook('onResponse', async (req, reply) => {
    req.log.debug(
      { method: req.method, url: req.url.slice(0, 200), status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request'
    )
  })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } })
  const r = app.withTypeProvider<ZodTypeProvider>()

  r.get('/healthz', { schema: { hide: true, response: { 200: Health } } }, async () => ({ status: 'ok' as const }))
  r.get('/readyz', { schema: { hide: true, response: { 200: Ready, 503: Ready } } }, async (_req, reply) => {
    const checks = {
      influx: await deps.readiness.influx(),
      broker: deps.readiness.broker(),
      model: deps.model.ready(),
      spool: deps.readiness.spool?.() ?? true
    }
    const ok = checks.influx && checks.broker && checks.model && checks.spool
    const details = deps.readiness.details?.()
    return reply
      .code(ok ? 200 : 503)
      .send({ status: ok ? 'ready' : 'not-ready', checks, ...(details ? { details } : {}) })
  })

  // One failed-auth budget per client address (and per presented token) for REST and the
  // websocket together (auth/guard.ts).
  const limiter = createFailureLimiter({
    now: deps.now ?? Date.now,
    ...(deps.api?.authMaxFailures !== undefined ? { max: deps.api.authMaxFailures } : {})
  })
  await registerApi(app, {
    model: deps.model,
    authenticator: deps.authenticator,
    ...(deps.users ? { users: deps.users } : {}),
    registry: deps.registry,
    registryPath: deps.registryPath,
    log: deps.log,
    limiter,
    docsPublic: deps.api?.docsPublic ?? false,
    ...(deps.notifications ? { notifications: deps.notifications } : {}),
    ...(deps.users ? { users: deps.users } : {}),
    tz: deps.tz,
    ...(deps.now ? { now: deps.now } : {})
  })
  const ws = await registerWs(app, {
    model: deps.model,
    authenticator: deps.authenticator,
    limiter,
    log: deps.log,
    options: wsOptions(deps)
  })
  if (deps.metrics) registerMetrics(app, { ...deps.metrics, ws, limiter })
  await registerWeb(app, { tz: deps.tz })
  return app
}
