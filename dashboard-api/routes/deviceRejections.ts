// GET /devices/:id/rejections: what a device sent that was not stored as data, one object at a
// time, with the reason code and the fields it names — the completeness report's drill-down
// (its counts by reason are GET /completeness). Read from InfluxDB (model/rejections.ts),
// newest first, at most MAX_LIMIT a page.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Registry } from '../../contracts/registry.ts'
import { DeviceRejections } from '../../contracts/rejection.ts'
import { ApiError } from '../errors.ts'
import { REJECTION_CURSOR } from '../model/rejections.ts'
import type { Model } from '../model/types.ts'
import { Day, IdParams, errors } from './schemas.ts'

export interface DeviceRejectionsOptions {
  readonly model: Model
  readonly registry: () => Registry
}

export const DEFAULT_LIMIT = 100
export const MAX_LIMIT = 500

const Query = z.strictObject({
  date: Day.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT),
  cursor: z
    .string()
    .max(40)
    .regex(REJECTION_CURSOR, { error: 'must be the nextCursor of the previous page' })
    .optional()
    .describe("The previous page's nextCursor: the rejections recorded before it")
})

export const deviceRejectionsRoutes: FastifyPluginAsyncZod<DeviceRejectionsOptions> = async (
  app,
  { model, registry }
) => {
  app.get(
    '/devices/:id/rejections',
    {
      config: { minRole: 'viewer' },
      schema: {
        tags: ['completeness'],
        summary: "A device's rejected messages of a day with their reason codes and fields, newest first",
        params: IdParams,
        querystring: Query,
        response: { 200: DeviceRejections, ...errors(400, 404, 503) }
      }
    },
    async (req) => {
      const { id } = req.params
      if (!registry().devices.some((d) => d.id === id))
        throw new ApiError('API_E_NOT_FOUND', `no device ${JSON.stringify(id)} in the registry`)
      const { date, limit, cursor } = req.query
      return model.deviceRejections(id, date ?? model.today(), { limit, ...(cursor ? { cursor } : {}) })
    }
  )
}
