// The operations reports: daily (日报) and monthly (月报), as JSON or as an Excel workbook
// (dashboard-api/reports/). Same role as the other reads. Bounded: one day, or the days of one
// month up to today; at most MAX_REPORTS_RUNNING built at once (each reads a day or a month from
// InfluxDB), beyond that 503 with Retry-After.
import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Registry } from '../../contracts/registry.ts'
import { DailyReport, MonthlyReport, type Report } from '../../contracts/reports.ts'
import { addDays } from '../../lib/time.ts'
import { ApiError } from '../errors.ts'
import type { Model } from '../model/types.ts'
import { dailyReport, monthlyReport } from '../reports/build.ts'
import { modelSource } from '../reports/sources.ts'
import { reportXlsx } from '../reports/xlsx.ts'
import { DAY_MAX, DAY_MIN, Day, errors } from './schemas.ts'

export const MAX_REPORTS_RUNNING = 2
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

const Format = z.enum(['json', 'xlsx']).default('json').describe('json (default) or xlsx (an Excel workbook download)')
const Month = z
  .string()
  .max(7)
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, { error: 'must be a month YYYY-MM' })
  .refine((m) => m >= DAY_MIN.slice(0, 7) && m <= DAY_MAX.slice(0, 7), {
    error: `must be a month from ${DAY_MIN.slice(0, 7)} to ${DAY_MAX.slice(0, 7)}`
  })

export interface ReportRoutesOptions {
  readonly model: Model
  readonly registry: () => Registry
  readonly tz: string
  readonly now: () => number
}

const invalid = (path: string, message: string): ApiError =>
  new ApiError('API_E_VALIDATION', `querystring/${path}: ${message}`, {
    details: { issues: [{ in: 'querystring', path, message }] }
  })

export const reportRoutes: FastifyPluginAsyncZod<ReportRoutesOptions> = async (app, opts) => {
  const { model, now } = opts
  const source = modelSource(model, opts.tz)
  let running = 0

  async function respond(reply: FastifyReply, format: 'json' | 'xlsx', name: string, build: () => Promise<Report>) {
    if (running >= MAX_REPORTS_RUNNING)
      throw new ApiError('API_E_UNAVAILABLE', `${MAX_REPORTS_RUNNING} reports are being built; retry shortly`, {
        headers: { 'retry-after': '5' }
      })
    running++
    try {
      const report = await build()
      if (format === 'json') return reply.send(report)
      const file = await reportXlsx(report)
      return reply
        .header('content-type', XLSX_TYPE)
        .header('content-disposition', `attachment; filename="${name}.xlsx"`)
        .send(file)
    } finally {
      running--
    }
  }

  const xlsx = { [XLSX_TYPE]: { schema: z.string().describe('The workbook: one sheet per section, Chinese headers') } }

  app.get(
    '/reports/daily',
    {
      config: { minRole: 'viewer' },
      schema: {
        tags: ['reports'],
        summary: '日报: the operations report of one local day (default yesterday), as JSON or .xlsx',
        querystring: z.strictObject({
          date: Day.optional().describe('Local day YYYY-MM-DD; default yesterday'),
          format: Format
        }),
        response: {
          200: { description: 'The report', content: { 'application/json': { schema: DailyReport }, ...xlsx } },
          ...errors(400, 503)
        }
      }
    },
    async (req, reply) => {
      const today = model.today()
      const day = req.query.date ?? addDays(today, -1)
      if (day > today) throw invalid('date', 'must not be after today')
      const r = opts.registry()
      return respond(reply, req.query.format, `qingyun-${r.city.id}-daily-${day}`, () =>
        dailyReport(source, r, day, now())
      )
    }
  )

  app.get(
    '/reports/monthly',
    {
      config: { minRole: 'viewer' },
      schema: {
        tags: ['reports'],
        summary: '月报: the operations report of a month up to today (default this month), as JSON or .xlsx',
        querystring: z.strictObject({
          month: Month.optional().describe('YYYY-MM; default this month'),
          format: Format
        }),
        response: {
          200: { description: 'The report', content: { 'application/json': { schema: MonthlyReport }, ...xlsx } },
          ...errors(400, 503)
        }
      }
    },
    async (req, reply) => {
      const today = model.today()
      const month = req.query.month ?? today.slice(0, 7)
      if (month > today.slice(0, 7)) throw invalid('month', 'must not be after this month')
      const r = opts.registry()
      return respond(reply, req.query.format, `qingyun-${r.city.id}-monthly-${month}`, () =>
        monthlyReport(source, r, month, now())
      )
    }
  )
}
