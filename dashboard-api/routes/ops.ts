// The operations centre's questions: which sites will not clear (exceptions), a site's stock
// through the day against its tolerance and cut-off, and where a truck was (track replay).
// Viewer role and up.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { Exceptions, ExceptionKind, SiteStock, VehicleTrack } from '../../contracts/opsCentre.ts'
import { District, SiteType } from '../../contracts/registry.ts'
import { ApiError } from '../errors.ts'
import type { Model } from '../model/types.ts'
import { DateQuery, Day, IdParams, errors } from './schemas.ts'

export interface OpsRoutesOptions {
  readonly model: Model
}

const viewer = { minRole: 'viewer' } as const

export const opsRoutes: FastifyPluginAsyncZod<OpsRoutesOptions> = async (app, { model }) => {
  app.get(
    '/exceptions',
    {
      config: viewer,
      schema: {
        tags: ['city'],
        summary:
          'Sites that will not clear, are at risk or over capacity, most urgent first: projected stock at the cut-off, ' +
          'time left, outbound tonnes and trips still needed, and why (zh, en)',
        querystring: z.strictObject({
          date: Day.optional(),
          kind: ExceptionKind.optional(),
          type: SiteType.optional(),
          district: District.optional()
        }),
        response: { 200: Exceptions, ...errors(400, 503) }
      }
    },
    async (req) => {
      const { date, kind, type, district } = req.query
      const all = await model.exceptions(date ?? model.today())
      return {
        ...all,
        items: all.items.filter(
          (x) =>
            (kind === undefined || x.kind === kind) &&
            (type === undefined || x.type === type) &&
            (district === undefined || x.district === district)
        )
      }
    }
  )

  app.get(
    '/sites/:id/stock',
    {
      config: viewer,
      schema: {
        tags: ['sites'],
        summary:
          "One site's stock through the day (opening + in − out per step), its tolerance and cut-off, " +
          'and the projection ahead to the cut-off (日清)',
        params: IdParams,
        querystring: z.strictObject({
          date: Day.optional(),
          step: z.coerce.number().int().min(5).max(60).optional().describe('Minutes per point, 5–60; default 15')
        }),
        response: { 200: SiteStock, ...errors(400, 404, 503) }
      }
    },
    async (req) => {
      const stock = await model.siteStock(req.params.id, req.query.date ?? model.today(), req.query.step)
      if (!stock) throw new ApiError('API_E_NOT_FOUND', `no site ${JSON.stringify(req.params.id)}`)
      return stock
    }
  )

  app.get(
    '/vehicles/:id/track',
    {
      config: viewer,
      schema: {
        tags: ['vehicles'],
        summary:
          "A vehicle's local day from InfluxDB (轨迹回放): downsampled positions, stops, zone and speed " +
          'violations, and its weighbridge tickets',
        params: IdParams,
        querystring: DateQuery,
        response: { 200: VehicleTrack, ...errors(400, 404, 503) }
      }
    },
    async (req) => {
      const track = await model.track(req.params.id, req.query.date ?? model.today())
      if (!track) throw new ApiError('API_E_NOT_FOUND', `no vehicle ${JSON.stringify(req.params.id)}`)
      return track
    }
  )
}
