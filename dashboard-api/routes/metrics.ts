// GET /metrics: Prometheus' text exposition format (README "Metrics"), on dashboard-api's port.
// Open, or behind one bearer token (QINGYUN_METRICS_TOKEN) when the port is reachable by more
// than the Prometheus that scrapes it. The registry is the node's own (never prom-client's
// global one: several nodes in one process, as in the tests, must not share counters), and it
// is built at the first scrape, so a node nobody scrapes runs no metric machinery at all.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Counter, Gauge, Registry } from 'prom-client'
import type { FailureLimiter } from '../auth/limiter.ts'
import { bearerToken } from '../auth/plugin.ts'
import { ApiError } from '../errors.ts'
import type { WsHandle } from '../ws/index.ts'

export const METRICS_PATH = '/metrics'

/** The websocket's close code for a client that does not read (ws/README.md). */
const TOO_SLOW = 4008

export interface MetricsDeps {
  /** Adds the node's collectors to the registry (node/metrics.ts). */
  readonly register: (registry: Registry) => void
  /** QINGYUN_METRICS_TOKEN; undefined: /metrics is open. */
  readonly token?: string | undefined
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

function registerWsMetrics(registry: Registry, ws: WsHandle): void {
  new Gauge({
    name: 'qingyun_ws_clients',
    help: 'Websocket connections open now',
    registers: [registry],
    collect() {
      this.set(ws.stats().connections)
    }
  })
  new Counter({
    name: 'qingyun_ws_slow_clients_dropped_total',
    help: 'Websocket clients closed 4008 for leaving too much unread (QINGYUN_WS_MAX_BUFFERED_BYTES)',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(ws.stats().closedByServer[TOO_SLOW] ?? 0)
    }
  })
}

export function registerMetrics(
  app: FastifyInstance,
  deps: MetricsDeps & { readonly ws: WsHandle; readonly limiter: FailureLimiter }
): void {
  let registry: Registry | undefined
  const build = (): Registry => {
    const r = new Registry()
    deps.register(r)
    registerWsMetrics(r, deps.ws)
    return r
  }
  const expected = deps.token === undefined ? undefined : digest(deps.token)

  /** A valid token always gets in; failures count against the client address, as for the API. */
  function authorize(req: FastifyRequest): void {
    if (expected === undefined) return
    const header = req.headers.authorization
    const token = header === undefined ? undefined : bearerToken(header)
    // Equal-length digests, compared in constant time: the comparison tells nothing about the token.
    if (token !== undefined && timingSafeEqual(digest(token), expected)) return
    const key = `addr ${req.ip}`
    const limited = deps.limiter.check(key)
    if (limited.blocked) {
      throw new ApiError('API_E_RATE_LIMITED', undefined, { headers: { 'retry-after': String(limited.retryAfterS) } })
    }
    deps.limiter.fail(key)
    throw new ApiError('API_E_AUTH', 'the metrics need the bearer token of QINGYUN_METRICS_TOKEN', {
      headers: { 'www-authenticate': 'Bearer realm="qingyun-metrics"' }
    })
  }

  app.get(METRICS_PATH, { schema: { hide: true } }, async (req, reply) => {
    authorize(req)
    registry ??= build()
    const text = await registry.metrics()
    return reply.header('cache-control', 'no-store').type(registry.contentType).send(text)
  })
}
