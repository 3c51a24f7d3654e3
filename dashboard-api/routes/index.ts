// The REST API of dashboard-api : /api/v1/... behind bearer-token auth,
// one error handler, and an OpenAPI document generated from the route schemas at /docs.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler
} from 'fastify-type-provider-zod'
import type { Logger } from 'pino'
import type { RegistryStore } from '../../registry/store.ts'
import { createFailureLimiter, type FailureLimiter } from '../auth/limiter.ts'
import { createAuthGuard } from '../auth/guard.ts'
import { SECURITY_SCHEME, authPlugin, bearerToken } from '../auth/plugin.ts'
import { addSecurityHeaders } from '../securityHeaders.ts'
import type { Authenticator } from '../auth/types.ts'
import type { UserStore } from '../auth/users.ts'
import { ApiError, errorHandler, notFoundHandler } from '../errors.ts'
import type { Model } from '../model/types.ts'
import type { NotificationRecord } from '../../contracts/notify.ts'
import type { RecordFilter } from '../notify/notifier.ts'
import { adminRoutes } from './admin.ts'
import { adminDisplaysRoutes } from './adminDisplays.ts'
import { adminDeviceRoutes } from './adminDevices.ts'
import { adminUserRoutes } from './adminUsers.ts'
import { alertRoutes } from './alerts.ts'
import { deviceRejectionsRoutes } from './deviceRejections.ts'
import { historyRoutes } from './history.ts'
import { opsRoutes } from './ops.ts'
import { readRoutes } from './reads.ts'
import { reportRoutes } from './reports.ts'

export const API_PREFIX = '/api/v1'

export interface ApiDeps {
  readonly model: Model
  readonly authenticator: Authenticator
  /** The operator accounts the admin routes manage (/admin/users, /admin/displays); absent: not served. */
  readonly users?: UserStore
  /** Where admin changes are saved (the registry store reloads from there). */
  readonly registryPath: string
  readonly registry: RegistryStore
  readonly log: Logger
  /** Share one with the websocket so both count a client's failures together; default: 10 per minute per IP. */
  readonly limiter?: FailureLimiter
  /** QINGYUN_DOCS_PUBLIC: /docs and /docs/json without a token (default: any operator's token). */
  readonly docsPublic?: boolean
  /** The record of alert notifications (dashboard-api/notify); absent: none configured. */
  readonly notifications?: (filter: RecordFilter) => NotificationRecord[]
  readonly now?: () => number
  /** QINGYUN_TZ (reports need a local day's start); default Asia/Shanghai. */
  readonly tz?: string
}

/**
 * Registers the API on the root instance: the error and not-found handlers (the one handler of
 * the app, docs/conventions.md, rule 10), /docs and /docs/json, and /api/v1. Call before `listen`/`ready`;
 * routes registered earlier (/healthz, /readyz) stay public and out of the document.
 */
export async function registerApi(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { model, authenticator, registryPath, registry, now = Date.now } = deps
  const log = deps.log.child({ component: 'api' })
  const limiter = deps.limiter ?? createFailureLimiter({ now })

  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(notFoundHandler)

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Qingyun dashboard API',
        version: '1.0.0',
        description:
          "Operations numbers of the city's waste collection and transfer (日收日清). Every /api/v1 call needs `Authorization: Bearer <token>` " +
          '(`qingyun users add NAME --role viewer|operator|admin`). Errors are `{ error: { code, message, details? } }` with stable codes. ' +
          'Days are local days (QINGYUN_TZ), YYYY-MM-DD, defaulting to today. Tonnes are rounded to the kilogram.'
      },
      components: {
        securitySchemes: {
          [SECURITY_SCHEME]: {
            type: 'http',
            scheme: 'bearer',
            description: 'An operator token (qyo_…); roles: viewer < operator < admin'
          }
        }
      }
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject
  })
  // The document lists every route and parameter: for operators only, unless the deployment
  // opts in (QINGYUN_DOCS_PUBLIC). A browser cannot add the header to a page it navigates
  // to; fetch /docs/json with the token, or opt in.
  const guard = createAuthGuard({ authenticator, limiter })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    ...(deps.docsPublic
      ? {}
      : {
          uiHooks: {
            onRequest: async (request: FastifyRequest) => {
              const header = request.headers.authorization
              const outcome = guard.check(request.ip, header === undefined ? undefined : (bearerToken(header) ?? ''))
              if (outcome.ok) return
              if (outcome.blocked) {
                throw new ApiError('API_E_RATE_LIMITED', undefined, {
                  headers: { 'retry-after': String(outcome.retryAfterS) }
                })
              }
              throw new ApiError(
                'API_E_AUTH',
                'the API document needs an operator token (or QINGYUN_DOCS_PUBLIC=true)',
                {
                  headers: { 'www-authenticate': 'Bearer realm="qingyun"' }
                }
              )
            }
          }
        })
  })
  addSecurityHeaders(app)

  await app.register(
    async (api) => {
      api.setValidatorCompiler(validatorCompiler)
      api.setSerializerCompiler(serializerCompiler)
      // Until the model has rebuilt today from InfluxDB (up to half a minute for a busy day),
      // answer 503 with Retry-After rather than numbers that are not there yet.
      api.addHook('onRequest', async () => {
        if (!model.ready())
          throw new ApiError('API_E_UNAVAILABLE', 'dashboard-api is rebuilding today from InfluxDB; retry shortly', {
            headers: { 'retry-after': '5' }
          })
      })
      await api.register(authPlugin, { authenticator, limiter })
      await api.register(readRoutes, { model, zones: () => registry.current().zones ?? [] })
      await api.register(historyRoutes, {
        model,
        siteName: (id) => registry.current().sites.find((s) => s.id === id)?.name
      })
      await api.register(reportRoutes, {
        model,
        registry: () => registry.current(),
        tz: deps.tz ?? 'Asia/Shanghai',
        now
      })
      await api.register(opsRoutes, { model })
      await api.register(deviceRejectionsRoutes, { model, registry: () => registry.current() })
      await api.register(alertRoutes, { model, now, notifications: deps.notifications ?? (() => []) })
      await api.register(adminRoutes, { registry, registryPath, log })
      if (deps.users) await api.register(adminDisplaysRoutes, { users: deps.users, log })
      await api.register(adminDeviceRoutes, { registry, model, log })
      if (deps.users) await api.register(adminUserRoutes, { users: deps.users, log, now })
    },
    { prefix: API_PREFIX }
  )
}
