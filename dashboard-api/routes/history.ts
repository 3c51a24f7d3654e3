// Daily balances over a range of local days, as JSON or as an RFC 4180 CSV download.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { DailyRow } from '../../contracts/ops.ts'
import { addDays } from '../../lib/time.ts'
import { ApiError } from '../errors.ts'
import type { Model } from '../model/types.ts'
import { toCsv } from './csv.ts'
import { Day, errors } from './schemas.ts'

export const MAX_HISTORY_DAYS = 366
/** Without `from`: this many days ending with `to`. */
export const DEFAULT_HISTORY_DAYS = 7

export const HISTORY_COLUMNS = [
  'day',
  'siteId',
  'inT',
  'outT',
  'openingT',
  'stockT',
  'clearancePct',
  'capacityPct',
  'cleared'
] as const satisfies readonly (keyof DailyRow)[]

const daysBetween = (from: string, to: string): number =>
  (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000

const HistoryQuery = z
  .strictObject({
    from: Day.optional().describe(
      `First local day, YYYY-MM-DD; defaults to ${DEFAULT_HISTORY_DAYS - 1} days before \`to\``
    ),
    to: Day.optional().describe('Last local day (inclusive), YYYY-MM-DD; defaults to today'),
    siteId: z.string().min(1).max(64).optional(),
    format: z
      .enum(['json', 'csv'])
      .optional()
      .describe('Overrides the Accept header; csv downloads RFC 4180 CSV with a header row')
  })
  .superRefine((q, ctx) => {
    if (q.from === undefined || q.to === undefined) return
    const span = daysBetween(q.from, q.to)
    if (span < 0) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after `to`' })
    else if (span + 1 > MAX_HISTORY_DAYS)
      ctx.addIssue({ code: 'custom', path: ['to'], message: `the range may span at most ${MAX_HISTORY_DAYS} days` })
  })

/** Whether the Accept header prefers text/csv to JSON (q-values honoured, ties go to JSON). */
export function prefersCsv(accept: string | undefined): boolean {
  if (!accept) return false
  const q = new Map<string, number>()
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';')
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const value = qp === undefined ? 1 : Number(qp.slice(2))
    if (type) q.set(type.trim(), Number.isFinite(value) ? value : 0)
  }
  const csv = q.get('text/csv') ?? 0
  const json = Math.max(q.get('application/json') ?? 0, q.get('application/*') ?? 0, q.get('*/*') ?? 0)
  return csv > 0 && csv > json
}

export const historyRoutes: FastifyPluginAsyncZod<{ readonly model: Model }> = async (app, { model }) => {
  app.get(
    '/history',
    {
      config: { minRole: 'viewer' },
      schema: {
        tags: ['sites'],
        summary: `Daily balances per site over [from, to] (at most ${MAX_HISTORY_DAYS} days), as JSON or CSV`,
        querystring: HistoryQuery,
        response: {
          200: {
            description: 'Daily rows ordered by day, then site',
            content: {
              'application/json': { schema: z.array(DailyRow) },
              'text/csv': { schema: z.string().describe(`RFC 4180, header row: ${HISTORY_COLUMNS.join(',')}`) }
            }
          },
          ...errors(400, 404, 503)
        }
      }
    },
    async (req, reply) => {
      const { siteId, format } = req.query
      const to = req.query.to ?? model.today()
      const from = req.query.from ?? addDays(to, -(DEFAULT_HISTORY_DAYS - 1))
      // Defaults can make a range the schema could not check (e.g. `from` after today).
      if (daysBetween(from, to) < 0)
        throw new ApiError('API_E_VALIDATION', 'querystring/from: must not be after `to`', {
          details: {
            issues: [{ in: 'querystring', path: 'from', message: 'must not be after `to` (today by default)' }]
          }
        })
      if (daysBetween(from, to) + 1 > MAX_HISTORY_DAYS)
        throw new ApiError(
          'API_E_VALIDATION',
          `querystring/from: the range may span at most ${MAX_HISTORY_DAYS} days`,
          {
            details: {
              issues: [
                { in: 'querystring', path: 'from', message: `the range may span at most ${MAX_HISTORY_DAYS} days` }
              ]
            }
          }
        )
      if (siteId !== undefined && !(await model.site(siteId, to)))
        throw new ApiError('API_E_NOT_FOUND', `no site ${JSON.stringify(siteId)}`)
      const rows = await model.history(from, to, siteId)
      reply.header('vary', 'Accept')
      if (format === 'csv' || (format === undefined && prefersCsv(req.headers.accept))) {
        const name = `qingyun-history-${siteId ? `${siteId}-` : ''}${from}-${to}.csv`
        return reply
          .header('content-type', 'text/csv; charset=utf-8; header=present')
          .header('content-disposition', `attachment; filename="${name}"`)
          .send(toCsv(HISTORY_COLUMNS, rows))
      }
      return reply.send(rows)
    }
  )
}
