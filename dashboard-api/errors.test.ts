import Fastify, { type FastifyInstance } from 'fastify'
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { InfluxNetworkError, InfluxQueryError } from '../influx/errors.ts'
import { createFailureLimiter } from './auth/limiter.ts'
import { authPlugin, bearerToken } from './auth/plugin.ts'
import type { Authenticator } from './auth/types.ts'
import { ApiError, ErrorBody, errorHandler, notFoundHandler, toErrorReply } from './errors.ts'
import { Day } from './routes/schemas.ts'

describe('toErrorReply', () => {
  it("keeps an ApiError's code, message, details and headers", () => {
    const r = toErrorReply(new ApiError('API_E_RATE_LIMITED', undefined, { headers: { 'retry-after': '7' } }))
    expect(r).toMatchObject({
      status: 429,
      headers: { 'retry-after': '7' },
      body: { error: { code: 'API_E_RATE_LIMITED' } },
      serverFault: false
    })
    expect(toErrorReply(new ApiError('API_E_NOT_FOUND', 'no site "x"')).body).toEqual({
      error: { code: 'API_E_NOT_FOUND', message: 'no site "x"' }
    })
  })

  it('hides the message of anything unexpected behind API_E_INTERNAL', () => {
    const r = toErrorReply(new Error('secret connection string'))
    expect(r).toMatchObject({
      status: 500,
      serverFault: true,
      body: { error: { code: 'API_E_INTERNAL', message: 'internal error' } }
    })
    expect(toErrorReply(new InfluxQueryError('bad', 400)).body.error.code).toBe('API_E_INTERNAL')
    expect(toErrorReply('a string').status).toBe(500)
  })

  it('maps an unreachable InfluxDB to 503 API_E_UNAVAILABLE', () => {
    expect(toErrorReply(new InfluxNetworkError('ECONNREFUSED'))).toMatchObject({
      status: 503,
      body: { error: { code: 'API_E_UNAVAILABLE' } }
    })
  })

  it("maps Fastify's own client errors by status", () => {
    const e = (statusCode: number, message = 'x') => Object.assign(new Error(message), { statusCode })
    expect(toErrorReply(e(400, 'Body is not valid JSON')).body.error).toMatchObject({
      code: 'API_E_VALIDATION',
      message: 'Body is not valid JSON'
    })
    expect(toErrorReply(e(415)).status).toBe(415)
    expect(toErrorReply(e(415)).body.error.code).toBe('API_E_BAD_REQUEST')
    expect(toErrorReply(e(404)).body.error.code).toBe('API_E_NOT_FOUND')
    expect(toErrorReply(e(503)).body.error.code).toBe('API_E_INTERNAL')
  })

  it('every body matches the published ErrorBody schema', () => {
    for (const err of [new ApiError('API_E_AUTH'), new Error('x'), new InfluxNetworkError('y')])
      expect(ErrorBody.safeParse(toErrorReply(err).body).success).toBe(true)
  })
})

describe('bearerToken', () => {
  it('takes the token of a Bearer header only', () => {
    expect(bearerToken('Bearer abc')).toBe('abc')
    expect(bearerToken('bearer  abc ')).toBe('abc')
    expect(bearerToken('Basic abc')).toBeUndefined()
    expect(bearerToken('Bearer')).toBeUndefined()
    expect(bearerToken('Bearer a b')).toBeUndefined()
    expect(bearerToken(undefined)).toBeUndefined()
  })
})

// The handler and the auth plugin on a real Fastify instance (inject: no socket needed).
const apps: FastifyInstance[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()))
})

const TOKENS: Record<string, { name: string; role: 'viewer' | 'operator' | 'admin' }> = {
  'tok-viewer': { name: 'v', role: 'viewer' },
  'tok-operator': { name: 'o', role: 'operator' }
}
const authenticator: Authenticator = { verify: (t) => TOKENS[t] }

async function app(max = 3): Promise<FastifyInstance> {
  const a = Fastify({ logger: false })
  apps.push(a)
  a.setValidatorCompiler(validatorCompiler)
  a.setSerializerCompiler(serializerCompiler)
  a.setErrorHandler(errorHandler)
  a.setNotFoundHandler(notFoundHandler)
  a.get('/public', async () => 'ok')
  await a.register(
    async (api) => {
      await api.register(authPlugin, { authenticator, limiter: createFailureLimiter({ max }) })
      const r = api.withTypeProvider<ZodTypeProvider>()
      r.get(
        '/q',
        {
          config: { minRole: 'viewer' },
          schema: { querystring: z.strictObject({ date: Day.optional(), n: z.coerce.number().int().optional() }) }
        },
        async (req) => ({ who: req.operator?.name, date: req.query.date ?? null })
      )
      r.post(
        '/b',
        {
          config: { minRole: 'operator' },
          schema: { body: z.strictObject({ zone: z.strictObject({ speedKmh: z.number().positive() }) }) }
        },
        async () => ({ ok: true })
      )
      r.get('/boom', { config: { minRole: 'viewer' } }, async () => {
        throw new Error('db password is hunter2')
      })
      r.get(
        '/bad-response',
        { config: { minRole: 'viewer' }, schema: { response: { 200: z.object({ n: z.number() }) } } },
        async () => ({ n: 'not a number' }) as unknown as { n: number }
      )
    },
    { prefix: '/api' }
  )
  await a.ready()
  return a
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` })

describe('error handler with the auth plugin', () => {
  it('401 API_E_AUTH without or with a wrong token, with WWW-Authenticate; public routes stay open', async () => {
    const a = await app(100)
    expect((await a.inject('/public')).statusCode).toBe(200)
    const none = await a.inject('/api/q')
    expect(none.statusCode).toBe(401)
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/)
    expect(none.json()).toEqual({ error: { code: 'API_E_AUTH', message: 'missing Authorization: Bearer <token>' } })
    const wrong = await a.inject({ url: '/api/q', headers: auth('nope') })
    expect(wrong.json().error.code).toBe('API_E_AUTH')
    expect(JSON.stringify(wrong.json())).not.toContain('nope')
    expect((await a.inject({ url: '/api/q', headers: { authorization: 'Basic dG9rLXZpZXdlcg==' } })).statusCode).toBe(
      401
    )
    expect((await a.inject({ url: '/api/q', headers: auth('tok-viewer') })).json()).toEqual({ who: 'v', date: null })
  })

  it('checks auth before validation: no parameter feedback without a token', async () => {
    const a = await app(100)
    expect((await a.inject('/api/q?date=nope')).statusCode).toBe(401)
  })

  it('403 API_E_FORBIDDEN when the role is too low', async () => {
    const a = await app()
    const r = await a.inject({
      method: 'POST',
      url: '/api/b',
      headers: auth('tok-viewer'),
      payload: { zone: { speedKmh: 1 } }
    })
    expect(r.statusCode).toBe(403)
    expect(r.json().error).toEqual({ code: 'API_E_FORBIDDEN', message: 'this needs the operator role; v is viewer' })
    expect(
      (
        await a.inject({
          method: 'POST',
          url: '/api/b',
          headers: auth('tok-operator'),
          payload: { zone: { speedKmh: 1 } }
        })
      ).statusCode
    ).toBe(200)
  })

  it('400 API_E_VALIDATION naming the field and where it is', async () => {
    const a = await app()
    const r = await a.inject({ url: '/api/q?date=2025-02-30', headers: auth('tok-viewer') })
    expect(r.statusCode).toBe(400)
    expect(r.json().error).toMatchObject({
      code: 'API_E_VALIDATION',
      details: { issues: [{ in: 'querystring', path: 'date' }] }
    })
    expect(r.json().error.message).toContain('querystring/date')
    const unknown = await a.inject({ url: '/api/q?day=2025-01-01', headers: auth('tok-viewer') })
    expect(unknown.json().error.message).toContain('day')
    const body = await a.inject({
      method: 'POST',
      url: '/api/b',
      headers: auth('tok-operator'),
      payload: { zone: { speedKmh: -1 } }
    })
    expect(body.json().error.details.issues).toEqual([
      { in: 'body', path: 'zone.speedKmh', message: expect.any(String) }
    ])
    const json = await a.inject({
      method: 'POST',
      url: '/api/b',
      headers: { ...auth('tok-operator'), 'content-type': 'application/json' },
      payload: '{"zone":'
    })
    expect(json.statusCode).toBe(400)
    expect(json.json().error.code).toBe('API_E_VALIDATION')
  })

  it('429 API_E_RATE_LIMITED with Retry-After after max failures; a valid token from the same address still gets in', async () => {
    const a = await app(3)
    for (let i = 0; i < 3; i++)
      expect((await a.inject({ url: '/api/q', headers: auth(`bad-${i}`) })).statusCode).toBe(401)
    const r = await a.inject({ url: '/api/q', headers: auth('bad-4') })
    expect(r.statusCode).toBe(429)
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0)
    expect(r.json().error.code).toBe('API_E_RATE_LIMITED')
    expect((await a.inject({ url: '/api/q', headers: auth('tok-viewer') })).statusCode).toBe(200)
    expect((await a.inject('/public')).statusCode).toBe(200)
  })

  it('successful calls are never limited', async () => {
    const a = await app(3)
    for (let i = 0; i < 20; i++)
      expect((await a.inject({ url: '/api/q', headers: auth('tok-viewer') })).statusCode).toBe(200)
  })

  it('500 API_E_INTERNAL hides the cause, also for a response that breaks its own schema', async () => {
    const a = await app()
    const r = await a.inject({ url: '/api/boom', headers: auth('tok-viewer') })
    expect(r.statusCode).toBe(500)
    expect(r.body).not.toContain('hunter2')
    expect(r.json()).toEqual({ error: { code: 'API_E_INTERNAL', message: 'internal error' } })
    expect((await a.inject({ url: '/api/bad-response', headers: auth('tok-viewer') })).json().error.code).toBe(
      'API_E_INTERNAL'
    )
  })

  it('404 API_E_NOT_FOUND for an unknown route', async () => {
    const a = await app()
    const r = await a.inject('/api/nothing-here')
    expect(r.statusCode).toBe(404)
    expect(r.json().error.code).toBe('API_E_NOT_FOUND')
  })

  it('refuses to register a route that declares no minimum role', async () => {
    const a = Fastify({ logger: false })
    apps.push(a)
    const registering = a.register(async (api) => {
      await api.register(authPlugin, { authenticator, limiter: createFailureLimiter() })
      api.get('/open', async () => 'oops')
    })
    await expect(registering).rejects.toThrow(/declares neither config.minRole nor config.public/)
  })
})
