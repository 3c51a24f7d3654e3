// Alerts: listed by viewers, acknowledged by operators.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { Alert, AlertType, Severity } from '../../contracts/ops.ts'
import { ApiError } from '../errors.ts'
import type { Model } from '../model/types.ts'
import { Day, IdParams, errors } from './schemas.ts'

export const alertRoutes: FastifyPluginAsyncZod<{ readonly model: Model; readonly now?: () => number }> = async (
  app,
  { model, now = Date.now }
) => {
  app.get(
    '/alerts',
    {
      config: { minRole: 'viewer' },
      schema: {
        tags: ['alerts'],
        summary: 'Alerts; without `day`, the open ones plus those opened or updated today',
        querystring: z.strictObject({
          state: z.enum(['open', 'resolved']).optional(),
          severity: Severity.optional(),
          type: AlertType.optional(),
          day: Day.optional().describe('Alerts opened or updated on this local day')
        }),
        response: { 200: z.array(Alert), ...errors(400) }
      }
    },
    async (req) => model.alerts(req.query)
  )

  app.post(
    '/alerts/:id/ack',
    {
      config: { minRole: 'operator' },
      schema: {
        tags: ['alerts'],
        summary: 'Acknowledge an alert as the calling operator (operator role)',
        params: z.strictObject({ id: IdParams.shape.id.max(256) }),
        response: { 200: Alert, ...errors(400, 404, 503) }
      }
    },
    async (req) => {
      // The auth plugin sets the operator on every non-public route.
      const alert = await model.acknowledge(req.params.id, req.operator!.name, now())
      if (!alert) throw new ApiError('API_E_NOT_FOUND', `no alert ${JSON.stringify(req.params.id)}`)
      return alert
    }
  )
}
