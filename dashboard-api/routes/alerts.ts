// Alerts: listed by viewers, acknowledged by operators (one, or many at once with a note). Read
// in the caller's language (?lang=zh|en, else Accept-Language, else zh) with names, district,
// place and local times (dashboard-api/alerts/present.ts); the fields of earlier versions stay.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { Alert, AlertType, Severity } from '../../contracts/ops.ts'
import { NotificationRecord } from '../../contracts/notify.ts'
import { District } from '../../contracts/registry.ts'
import type { RecordFilter } from '../notify/notifier.ts'
import { pickLang } from '../alerts/messages.ts'
import { ApiError } from '../errors.ts'
import type { Model } from '../model/types.ts'
import { Day, IdParams, errors } from './schemas.ts'

/** Most ids one bulk acknowledgement may name; the page's "select all" is a screenful or a filter. */
export const MAX_ACK_IDS = 500
export const MAX_ACK_NOTE = 500

/** `?type=a&type=b` or `?type=a,b`: any of the values; an unknown one is a 400 naming the parameter. */
const listOf = <T extends z.ZodType<unknown, string>>(item: T, max: number) =>
  z
    .union([z.string().max(2000), z.array(z.string().max(2000)).max(max)])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(',')).filter((x) => x !== ''))
    .pipe(z.array(item).max(max))

const State = z.enum(['open', 'resolved'])
const Lang = z.enum(['zh', 'en']).describe('Language of `message` and names; default Accept-Language, else zh')

export const AckBody = z.strictObject({
  ids: z.array(z.string().min(1).max(256)).min(1).max(MAX_ACK_IDS),
  note: z.string().max(MAX_ACK_NOTE)
})

export interface AlertRouteOptions {
  readonly model: Model
  readonly now?: () => number
  /** The record of alert notifications; default none. */
  readonly notifications?: (filter: RecordFilter) => NotificationRecord[]
}

export const alertRoutes: FastifyPluginAsyncZod<AlertRouteOptions> = async (
  app,
  { model, now = Date.now, notifications = () => [] }
) => {
  app.get(
    '/alerts/notifications',
    {
      config: { minRole: 'viewer' },
      schema: {
        tags: ['alerts'],
        summary: 'What alert notifications were sent, failed or dropped (the last 1000, newest first)',
        querystring: z.strictObject({
          alertId: z.string().min(1).max(256).optional(),
          channel: z.string().min(1).max(64).optional(),
          state: NotificationRecord.shape.state.optional()
        }),
        response: { 200: z.array(NotificationRecord), ...errors(400) }
      }
    },
    async (req) =>
      notifications({
        ...(req.query.alertId === undefined ? {} : { alertId: req.query.alertId }),
        ...(req.query.channel === undefined ? {} : { channel: req.query.channel }),
        ...(req.query.state === undefined ? {} : { state: req.query.state })
      })
  )

  app.get(
    '/alerts',
    {
      config: { minRole: 'viewer' },
      schema: {
        tags: ['alerts'],
        summary: 'Alerts; without `day`, the open ones plus those opened or updated today',
        description:
          'Each of `state`, `severity`, `type`, `district` takes one value, several (`?type=a&type=b`) or a ' +
          'comma-separated list, and matches any of them.',
        querystring: z.strictObject({
          state: listOf(State, 2).optional(),
          severity: listOf(Severity, 3).optional(),
          type: listOf(AlertType, AlertType.options.length).optional(),
          district: listOf(District, District.options.length).optional(),
          day: Day.optional().describe('Alerts opened or updated on this local day'),
          lang: Lang.optional()
        }),
        response: { 200: z.array(Alert), ...errors(400) }
      }
    },
    async (req) => {
      const q = req.query
      return model.alerts({
        ...(q.day === undefined ? {} : { day: q.day }),
        ...(q.state === undefined ? {} : { states: q.state }),
        ...(q.severity === undefined ? {} : { severities: q.severity }),
        ...(q.type === undefined ? {} : { types: q.type }),
        ...(q.district === undefined ? {} : { districts: q.district }),
        lang: pickLang(q.lang, req.headers['accept-language'])
      })
    }
  )

  app.post(
    '/alerts/ack',
    {
      config: { minRole: 'operator' },
      schema: {
        tags: ['alerts'],
        summary: `Acknowledge up to ${MAX_ACK_IDS} alerts at once with a note, as the calling operator`,
        description:
          'Alerts acknowledged before keep their first acknowledgement. Ids that are unknown (or resolved before ' +
          'today) are listed in `unknown`; the others are acknowledged in one write.',
        querystring: z.strictObject({ lang: Lang.optional() }),
        body: AckBody,
        response: {
          200: z.object({ acknowledged: z.array(Alert), unknown: z.array(z.string()) }),
          ...errors(400, 503)
        }
      }
    },
    async (req) => {
      const lang = pickLang(req.query.lang, req.headers['accept-language'])
      const r = await model.acknowledgeMany(req.body.ids, req.operator!.name, req.body.note, lang, now())
      return { acknowledged: r.alerts, unknown: r.unknown }
    }
  )

  app.post(
    '/alerts/:id/ack',
    {
      config: { minRole: 'operator' },
      schema: {
        tags: ['alerts'],
        summary: 'Acknowledge an alert as the calling operator (operator role)',
        params: z.strictObject({ id: IdParams.shape.id.max(256) }),
        querystring: z.strictObject({ lang: Lang.optional() }),
        response: { 200: Alert, ...errors(400, 404, 503) }
      }
    },
    async (req) => {
      // The auth plugin sets the operator on every non-public route.
      const lang = pickLang(req.query.lang, req.headers['accept-language'])
      const r = await model.acknowledgeMany([req.params.id], req.operator!.name, '', lang, now())
      const alert = r.alerts[0]
      if (!alert) throw new ApiError('API_E_NOT_FOUND', `no alert ${JSON.stringify(req.params.id)}`)
      return alert
    }
  )
}
