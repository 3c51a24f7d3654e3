// Bearer-token authorisation for every route of the scope it is registered in.
//
// Each route declares its minimum role in `config.minRole` (or `config.public: true`); a route
// that declares neither fails at registration, so a forgotten declaration can never ship as an
// open route. The check runs in onRequest, before validation, so an unauthenticated client
// learns nothing about parameters. A valid token always passes; failures are throttled per
// client address and per presented token (guard.ts): a throttled client gets 429.
//
// Routes registered outside the scope (/healthz, /readyz, /docs) are untouched, hence public.
import type { FastifyPluginAsync, RouteOptions } from 'fastify'
import { ApiError, ErrorBody } from '../errors.ts'
import { createAuthGuard } from './guard.ts'
import type { FailureLimiter } from './limiter.ts'
import { allows, type Authenticator, type Operator, type Role } from './types.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role that may call the route (auth/plugin.ts). */
    minRole?: Role
    /** Reachable without a token. */
    public?: boolean
  }
  interface FastifyRequest {
    /** The authenticated operator; set on every non-public route of the API. */
    operator: Operator | undefined
  }
}

export interface AuthPluginOptions {
  readonly authenticator: Authenticator
  readonly limiter: FailureLimiter
}

/** The OpenAPI security scheme name the routes refer to. */
export const SECURITY_SCHEME = 'bearerAuth'

const BEARER = /^Bearer[ ]+([^\s]+)[ ]*$/i

/** `Authorization: Bearer <token>` → the token, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : BEARER.exec(header)?.[1]
}

function documentAuth(route: RouteOptions): void {
  // Documented (and serialised) with the catalog's body; the security requirement makes
  // swagger-ui send the token.
  const schema = (route.schema ??= {}) as Record<string, unknown>
  schema.security ??= [{ [SECURITY_SCHEME]: [] }]
  const response = (schema.response as Record<string, unknown> | undefined) ?? {}
  for (const status of [401, 403, 429]) response[status] ??= ErrorBody
  schema.response = response
}

const plugin: FastifyPluginAsync<AuthPluginOptions> = async (app, { authenticator, limiter }) => {
  app.decorateRequest('operator', undefined)
  const guard = createAuthGuard({ authenticator, limiter })

  app.addHook('onRoute', (route) => {
    if (route.config?.public) return
    if (route.config?.minRole === undefined) {
      throw new Error(
        `route ${String(route.method)} ${route.url} declares neither config.minRole nor config.public (dashboard-api/auth/plugin.ts)`
      )
    }
    documentAuth(route)
  })

  app.addHook('onRequest', async (request) => {
    const { minRole, public: isPublic } = request.routeOptions.config
    if (isPublic || minRole === undefined) return
    const ip = request.ip
    const header = request.headers.authorization
    const token = bearerToken(header)
    const outcome = guard.check(ip, header === undefined ? undefined : (token ?? ''))
    if (!outcome.ok) {
      // Never the token itself (docs/conventions.md, rule 9).
      request.log.info(
        {
          ip,
          reason: header === undefined ? 'missing' : token === undefined ? 'not-bearer' : 'unknown-token',
          blocked: outcome.blocked
        },
        'authentication failed'
      )
      if (outcome.blocked)
        throw new ApiError('API_E_RATE_LIMITED', undefined, { headers: { 'retry-after': String(outcome.retryAfterS) } })
      const message = header === undefined ? 'missing Authorization: Bearer <token>' : 'the bearer token is not valid'
      throw new ApiError('API_E_AUTH', message, { headers: { 'www-authenticate': 'Bearer realm="qingyun"' } })
    }
    const operator = outcome.operator
    request.operator = operator
    if (!allows(operator.role, minRole)) {
      throw new ApiError('API_E_FORBIDDEN', `this needs the ${minRole} role; ${operator.name} is ${operator.role}`)
    }
  })
}

// Applies to the scope that registers it rather than a child scope of its own: what
// fastify-plugin does, without depending on it (it is not a direct dependency).
;(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true

export const authPlugin = plugin
