// The dashboard-api error catalog (docs/conventions.md, rule 8, #10): every error a client sees has a
// stable code and one JSON shape, `{ error: { code, message, details? } }`, produced by the one
// error handler below. Messages are for people; clients branch on `code`.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { ResponseSerializationError, hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { InfluxNetworkError } from '../influx/errors.ts'

export const ERROR_CATALOG = {
  /** A parameter, query or body does not match its schema; details.issues name each field. */
  API_E_VALIDATION: { status: 400, message: 'the request is invalid' },
  /** A request the API cannot take for another reason (media type, size...); keeps its status. */
  API_E_BAD_REQUEST: { status: 400, message: 'the request cannot be processed' },
  /** No bearer token, or one that is unknown, revoked or malformed. */
  API_E_AUTH: { status: 401, message: 'a valid bearer token is required' },
  /** The operator's role is below the route's minimum role. */
  API_E_FORBIDDEN: { status: 403, message: 'your role does not allow this' },
  API_E_NOT_FOUND: { status: 404, message: 'not found' },
  /** The change conflicts with the current state (a taken id, the last admin); details.issues name the field. */
  API_E_CONFLICT: { status: 409, message: 'the change conflicts with the current state' },
  /** Too many authentication failures from this client; see Retry-After. */
  API_E_RATE_LIMITED: { status: 429, message: 'too many failed authentication attempts; retry later' },
  API_E_INTERNAL: { status: 500, message: 'internal error' },
  /** A backend (InfluxDB) did not answer; retrying later may succeed. */
  API_E_UNAVAILABLE: { status: 503, message: 'a backend is unavailable; retry later' }
} as const satisfies Record<string, { status: number; message: string }>

export type ErrorCode = keyof typeof ERROR_CATALOG
export const ErrorCode = z.enum(Object.keys(ERROR_CATALOG) as [ErrorCode, ...ErrorCode[]])

export const ValidationIssue = z.object({
  /** Where the field is: params, querystring, body, headers. */
  in: z.string(),
  /** The field, dotted (`date`, `zones.0.windows`); empty for the whole part. */
  path: z.string(),
  message: z.string()
})
export type ValidationIssue = z.infer<typeof ValidationIssue>

export const ErrorBody = z
  .object({
    error: z.object({
      code: ErrorCode,
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional()
    })
  })
  .meta({ id: 'Error' })
export type ErrorBody = z.infer<typeof ErrorBody>

/** An error meant for the client. Thrown anywhere in a route, hook or plugin of the API. */
export class ApiError extends Error {
  readonly statusCode: number
  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_CATALOG[code].message,
    readonly extra: { details?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {}
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause })
    this.name = 'ApiError'
    this.statusCode = ERROR_CATALOG[code].status
  }
}

export const validationError = (issues: ValidationIssue[], message?: string): ApiError =>
  new ApiError(
    'API_E_VALIDATION',
    message ?? issues.map((i) => `${i.in}${i.path ? `/${i.path}` : ''}: ${i.message}`).join('; '),
    { details: { issues } }
  )

export interface ErrorReply {
  readonly status: number
  readonly body: ErrorBody
  readonly headers: Record<string, string>
  /** Whether the server is at fault (logged as an error, its message hidden from the client). */
  readonly serverFault: boolean
}

function reply(code: ErrorCode, message?: string, details?: Record<string, unknown>, status?: number): ErrorReply {
  const s = status ?? ERROR_CATALOG[code].status
  return {
    status: s,
    body: { error: { code, message: message ?? ERROR_CATALOG[code].message, ...(details ? { details } : {}) } },
    headers: {},
    serverFault: s >= 500
  }
}

/** Maps anything thrown while handling a request to the catalog. Pure. */
export function toErrorReply(err: unknown): ErrorReply {
  if (err instanceof ApiError) {
    return { ...reply(err.code, err.message, err.extra.details), headers: err.extra.headers ?? {} }
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = (err as FastifyError).validationContext ?? 'request'
    const issues = err.validation.map((v) => ({
      in: where,
      path: v.instancePath.replace(/^\//, '').replaceAll('/', '.'),
      message: v.message ?? 'invalid'
    }))
    return toErrorReply(validationError(issues))
  }
  if (err instanceof ResponseSerializationError) return reply('API_E_INTERNAL')
  if (err instanceof InfluxNetworkError) return reply('API_E_UNAVAILABLE')
  const status =
    typeof (err as { statusCode?: unknown })?.statusCode === 'number' ? (err as { statusCode: number }).statusCode : 500
  const message = err instanceof Error ? err.message : undefined
  // Fastify's own client errors (malformed JSON, empty body, media type, size).
  if (status === 400)
    return reply('API_E_VALIDATION', message, { issues: [{ in: 'body', path: '', message: message ?? 'invalid' }] })
  if (status === 401) return reply('API_E_AUTH')
  if (status === 403) return reply('API_E_FORBIDDEN')
  if (status === 404) return reply('API_E_NOT_FOUND', message)
  if (status === 409) return reply('API_E_CONFLICT', message)
  if (status === 429) return reply('API_E_RATE_LIMITED')
  if (status > 400 && status < 500) return reply('API_E_BAD_REQUEST', message, undefined, status)
  return reply('API_E_INTERNAL')
}

/** The one error handler (set on the root instance by registerApi). */
export function errorHandler(err: unknown, request: FastifyRequest, res: FastifyReply): FastifyReply {
  const r = toErrorReply(err)
  if (r.serverFault) {
    const issues = err instanceof ResponseSerializationError ? err.cause.issues.slice(0, 5) : undefined
    request.log.error({ err, issues, code: r.body.error.code }, 'request failed')
  } else {
    request.log.info({ code: r.body.error.code, status: r.status }, 'request refused')
  }
  return res.code(r.status).headers(r.headers).type('application/json; charset=utf-8').send(r.body)
}

export function notFoundHandler(request: FastifyRequest, res: FastifyReply): FastifyReply {
  const r = reply('API_E_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)
  return res.code(404).type('application/json; charset=utf-8').send(r.body)
}
