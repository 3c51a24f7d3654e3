import websocket from '@fastify/websocket'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Logger } from 'pino'
import { z } from 'zod'
import type { Live } from './live.ts'

export interface Readiness {
  influx(): Promise<boolean>
  broker(): boolean
}

export interface AppDeps {
  readonly live: Live
  readonly readiness: Readiness
  readonly log: Logger
  /** A websocket client whose unsent data passes this is too slow and is dropped. */
  readonly maxBufferedBytes?: number
}

const Health = z.object({ status: z.literal('ok') })
const Ready = z.object({ status: z.enum(['ready', 'not-ready']), checks: z.object({ influx: z.boolean(), broker: z.boolean() }) })

/** The Fastify app without `listen` (conventions: buildApp apart from listen). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.log.child({ component: 'http' }) as FastifyBaseLogger })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } })
  const r = app.withTypeProvider<ZodTypeProvider>()
  const maxBuffered = deps.maxBufferedBytes ?? 1 << 20

  r.get('/healthz', { schema: { response: { 200: Health } } }, async () => ({ status: 'ok' as const }))

  r.get('/readyz', { schema: { response: { 200: Ready, 503: Ready } } }, async (_req, reply) => {
    const checks = { influx: await deps.readiness.influx(), broker: deps.readiness.broker() }
    const ok = checks.influx && checks.broker
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not-ready', checks })
  })

  // First cut of the live feed (issue 2): a snapshot of today's per-site tonnes, then one
  // message per site whose totals change as committed weighings arrive.
  app.get('/ws', { websocket: true }, (socket) => {
    const send = (msg: unknown): void => {
      if (socket.bufferedAmount > maxBuffered) {
        // A slow client never slows ingest: drop it with a reason; it reconnects for a snapshot.
        socket.close(1008, 'client too slow')
        return
      }
      socket.send(JSON.stringify(msg))
    }
    send(deps.live.snapshot())
    const stop = deps.live.onMessage(send)
    socket.on('close', stop)
    socket.on('error', stop)
  })

  return app
}
