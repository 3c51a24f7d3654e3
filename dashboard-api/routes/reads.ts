// Read-only views of the operations model: viewer role and up.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  BinStatus,
  BinView,
  CitySummary,
  CompletenessRow,
  DeviceView,
  HourPoint,
  Recyclables,
  SiteBalance,
  Ticket,
  VehicleState,
  VehicleView
} from '../../contracts/ops.ts'
import { BinStream, District, SiteType, VehicleType, Zone } from '../../contracts/registry.ts'
import { ApiError } from '../errors.ts'
import type { Model } from '../model/types.ts'
import { DateQuery, Day, IdParams, errors } from './schemas.ts'

export interface ReadRoutesOptions {
  readonly model: Model
  /** The registry's zones now (the map draws them for every operator). */
  readonly zones: () => readonly Zone[]
}

const viewer = { minRole: 'viewer' } as const

export const readRoutes: FastifyPluginAsyncZod<ReadRoutesOptions> = async (app, { model, zones }) => {
  const unknownSite = (id: string): ApiError => new ApiError('API_E_NOT_FOUND', `no site ${JSON.stringify(id)}`)

  app.get(
    '/city',
    {
      config: viewer,
      schema: {
        tags: ['city'],
        summary: 'City totals against the daily target, tonnes per hour, site and alert counts',
        querystring: DateQuery,
        response: { 200: CitySummary, ...errors(400, 503) }
      }
    },
    async (req) => model.city(req.query.date ?? model.today())
  )

  app.get(
    '/sites',
    {
      config: viewer,
      schema: {
        tags: ['sites'],
        summary: 'Balance of every site on a day (日收日清)',
        querystring: z.strictObject({ date: Day.optional(), district: District.optional(), type: SiteType.optional() }),
        response: { 200: z.array(SiteBalance), ...errors(400, 503) }
      }
    },
    async (req) => {
      const { date, district, type } = req.query
      const sites = await model.sites(date ?? model.today())
      return sites.filter(
        (s) => (district === undefined || s.district === district) && (type === undefined || s.type === type)
      )
    }
  )

  app.get(
    '/sites/:id/balance',
    {
      config: viewer,
      schema: {
        tags: ['sites'],
        summary: "One site's balance: in, out, opening, stock, clearance, capacity use, projection",
        params: IdParams,
        querystring: DateQuery,
        response: { 200: SiteBalance, ...errors(400, 404, 503) }
      }
    },
    async (req) => {
      const site = await model.site(req.params.id, req.query.date ?? model.today())
      if (!site) throw unknownSite(req.params.id)
      return site
    }
  )

  app.get(
    '/sites/:id/hourly',
    {
      config: viewer,
      schema: {
        tags: ['sites'],
        summary: "One site's inbound and outbound tonnes per local hour",
        params: IdParams,
        querystring: DateQuery,
        response: { 200: z.array(HourPoint), ...errors(400, 404, 503) }
      }
    },
    async (req) => {
      const day = req.query.date ?? model.today()
      if (!(await model.site(req.params.id, day))) throw unknownSite(req.params.id)
      return model.siteHourly(req.params.id, day)
    }
  )

  app.get(
    '/sites/:id/tickets',
    {
      config: viewer,
      schema: {
        tags: ['sites'],
        summary: "One site's weighing tickets on a day, newest first (at most `limit`, default 500)",
        params: IdParams,
        querystring: z.strictObject({
          date: Day.optional(),
          limit: z.coerce.number().int().min(1).max(5000).optional()
        }),
        response: { 200: z.array(Ticket), ...errors(400, 404, 503) }
      }
    },
    async (req) => {
      const day = req.query.date ?? model.today()
      if (!(await model.site(req.params.id, day))) throw unknownSite(req.params.id)
      return model.tickets(req.params.id, day, req.query.limit ?? 500)
    }
  )

  app.get(
    '/zones',
    {
      config: viewer,
      schema: {
        tags: ['zones'],
        summary: 'Zones with vehicle time windows and speed limits (WGS-84 polygons)',
        response: { 200: z.array(Zone), ...errors(400) }
      }
    },
    async () => [...zones()]
  )

  app.get(
    '/recyclables',
    {
      config: viewer,
      schema: {
        tags: ['recyclables'],
        summary: 'Recyclables by material, sorting yield, month to date against targets',
        querystring: DateQuery,
        response: { 200: Recyclables, ...errors(400, 503) }
      }
    },
    async (req) => model.recyclables(req.query.date ?? model.today())
  )

  app.get(
    '/bins',
    {
      config: viewer,
      schema: {
        tags: ['bins'],
        summary: 'Smart bins now: fill, status, emptied today, predicted time to full',
        querystring: z.strictObject({
          status: BinStatus.optional(),
          district: District.optional(),
          stream: BinStream.optional()
        }),
        response: { 200: z.array(BinView), ...errors(400) }
      }
    },
    async (req) => model.bins(req.query)
  )

  app.get(
    '/vehicles',
    {
      config: viewer,
      schema: {
        tags: ['vehicles'],
        summary: 'Vehicles now: last position, state, zone and speed violations',
        querystring: z.strictObject({
          state: VehicleState.optional(),
          district: District.optional(),
          type: VehicleType.optional()
        }),
        response: { 200: z.array(VehicleView), ...errors(400) }
      }
    },
    async (req) => model.vehicles(req.query)
  )

  app.get(
    '/devices',
    {
      config: viewer,
      schema: {
        tags: ['devices'],
        summary: 'Devices: last seen, offline, battery, signal, firmware',
        response: { 200: z.array(DeviceView), ...errors() }
      }
    },
    async () => model.devices()
  )

  app.get(
    '/completeness',
    {
      config: viewer,
      schema: {
        tags: ['completeness'],
        summary:
          'Data completeness per device or site on a day: accepted, rejected by reason, duplicates, late, missing',
        querystring: z.strictObject({ date: Day.optional(), by: z.enum(['device', 'site']).default('device') }),
        response: { 200: z.array(CompletenessRow), ...errors(400, 503) }
      }
    },
    async (req) => model.completeness(req.query.by, req.query.date ?? model.today())
  )
}
