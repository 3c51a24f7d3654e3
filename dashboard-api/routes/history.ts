// Daily balances over a range of local days, as JSON or as an RFC 4180 CSV download. The CSV
// is for people (Excel): a UTF-8 BOM, the site's name beside its id, and `cleared` says "no data"
// for a site-day without a ticket and "in progress" for today instead of a misleading yes/no.
// Chinese headers and values (是/否/无数据/进行中) with `lang=zh` or an Accept-Language that
// prefers Chinese (a browser in a Chinese operations centre); English otherwise, so scripts that
// send no Accept-Language keep the column keys they parse.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { DailyRow } from '../../contracts/ops.ts'
import { addDays } from '../../lib/time.ts'
import { ApiError } from '../errors.ts'
import type { Model } from '../model/types.ts'
import { toCsv, type CsvValue } from './csv.ts'
import { Day, errors } from './schemas.ts'

export const MAX_HISTORY_DAYS = 366
/** Without `from`: this many days ending with `to`. */
export const DEFAULT_HISTORY_DAYS = 7

export const HISTORY_COLUMNS = [
  'day',
  'siteId',
  'siteName',
  'inT',
  'outT',
  'openingT',
  'stockT',
  'clearancePct',
  'capacityPct',
  'cleared'
] as const

type CsvRow = Record<(typeof HISTORY_COLUMNS)[number], CsvValue>

export const HISTORY_HEADERS_ZH: Record<(typeof HISTORY_COLUMNS)[number], string> = {
  day: '日期',
  siteId: '站点编号',
  siteName: '站点名称',
  inT: '进站量(吨)',
  outT: '出站量(吨)',
  openingT: '期初库存(吨)',
  stockT: '期末库存(吨)',
  clearancePct: '清运率(%)',
  capacityPct: '负荷率(%)',
  cleared: '日清'
}

const CLEARED_TEXT = {
  en: { yes: 'true', no: 'false', noData: 'no data', today: 'in progress' },
  zh: { yes: '是', no: '否', noData: '无数据', today: '进行中' }
} as const

export function csvRow(row: DailyRow, name: string | undefined, today: string, lang: 'en' | 'zh'): CsvRow {
  const text = CLEARED_TEXT[lang]
  return {
    day: row.day,
    siteId: row.siteId,
    siteName: name ?? '',
    inT: row.inT,
    outT: row.outT,
    openingT: row.openingT,
    stockT: row.stockT,
    clearancePct: row.clearancePct,
    capacityPct: row.capacityPct,
    cleared: row.day >= today ? text.today : !row.hasData ? text.noData : row.cleared ? text.yes : text.no
  }
}

/** Whether Accept-Language prefers Chinese to English (q-values honoured; ties and absence: English). */
export function prefersChinese(acceptLanguage: string | undefined): boolean {
  if (!acceptLanguage) return false
  let zh = 0
  let en = 0
  for (const part of acceptLanguage.slice(0, 512).split(',')) {
    const [tag, ...params] = part.trim().toLowerCase().split(';')
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const q = qp === undefined ? 1 : Number(qp.slice(2))
    if (!Number.isFinite(q)) continue
    const primary = tag?.trim().split('-')[0]
    if (primary === 'zh') zh = Math.max(zh, q)
    else if (primary === 'en' || primary === '*') en = Math.max(en, q)
  }
  return zh > 0 && zh > en
}

const daysBetween = (from: string, to: string): number =>
  (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000

const HistoryQuery = z
  .strictObject({
    from: Day.optional().describe(
      `First local day, YYYY-MM-DD; defaults to ${DEFAULT_HISTORY_DAYS - 1} days before \`to\``
    ),
    to: Day.optional().describe('Last local day (inclusive), YYYY-MM-DD; defaults to today'),
    siteId: z.string().min(1).max(64).optional(),
    lang: z
      .enum(['en', 'zh'])
      .optional()
      .describe('CSV headers and values in English or Chinese; default from Accept-Language, else en'),
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

export interface HistoryRoutesOptions {
  readonly model: Model
  /** A site's name in the registry now. */
  readonly siteName: (siteId: string) => string | undefined
}

export const historyRoutes: FastifyPluginAsyncZod<HistoryRoutesOptions> = async (app, { model, siteName }) => {
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
              'text/csv': {
                schema: z
                  .string()
                  .describe(
                    `RFC 4180 after a UTF-8 BOM, header row: ${HISTORY_COLUMNS.join(',')} ` +
                      `(zh: ${Object.values(HISTORY_HEADERS_ZH).join(',')})`
                  )
              }
            }
          },
          ...errors(400, 404, 503)
        }
      }
    },
    async (req, reply) => {
      const { siteId, format } = req.query
      const today = model.today()
      const to = req.query.to ?? today
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
      reply.header('vary', 'Accept, Accept-Language')
      if (format === 'csv' || (format === undefined && prefersCsv(req.headers.accept))) {
        const name = `qingyun-history-${siteId ? `${siteId}-` : ''}${from}-${to}.csv`
        const lang = req.query.lang ?? (prefersChinese(req.headers['accept-language']) ? 'zh' : 'en')
        const csv = toCsv(
          HISTORY_COLUMNS,
          rows.map((r) => csvRow(r, siteName(r.siteId), today, lang)),
          { bom: true, ...(lang === 'zh' ? { headers: HISTORY_COLUMNS.map((c) => HISTORY_HEADERS_ZH[c]) } : {}) }
        )
        return reply
          .header('content-type', 'text/csv; charset=utf-8; header=present')
          .header('content-language', lang === 'zh' ? 'zh-CN' : 'en')
          .header('content-disposition', `attachment; filename="${name}"`)
          .send(csv)
      }
      return reply.send(rows)
    }
  )
}
