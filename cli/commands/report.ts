// `qingyun report daily|monthly`: the operations report (日报 / 月报) as the REST API serves it
// (GET /api/v1/reports/…), written to a file. It reads InfluxDB directly with the node's
// configuration (QINGYUN_INFLUX_*, the registry file), so it works whether or not a node runs;
// a closed day's summary it finds missing it computes and stores, as a node would
// (docs/history.md).
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pino } from 'pino'
import { createInfluxClient } from '../../influx/client.ts'
import { INFLUXD_CREDENTIALS_FILE, readCredentials } from '../../influx/localAuth.ts'
import { realTimers } from '../../lib/clock.ts'
import { parseConfig } from '../../lib/config.ts'
import { addDays, localDate } from '../../lib/time.ts'
import { dailyReport, monthlyReport } from '../../dashboard-api/reports/build.ts'
import { influxSource } from '../../dashboard-api/reports/sources.ts'
import { reportXlsx } from '../../dashboard-api/reports/xlsx.ts'
import { Day } from '../../dashboard-api/routes/schemas.ts'
import { loadRegistry } from '../../registry/load.ts'
import { parse, reportUsage, required, UsageError } from '../args.ts'
import type { CommandContext } from './context.ts'

const USAGE = `usage:
  qingyun report daily [--date YYYY-MM-DD] --out FILE.xlsx|FILE.json [--influx-url URL]
                                the day's report (default yesterday)
  qingyun report monthly [--month YYYY-MM] --out FILE.xlsx|FILE.json [--influx-url URL]
                                the month's report up to today (default this month)
The format follows the file's extension. InfluxDB: QINGYUN_INFLUX_URL (or --influx-url) with
QINGYUN_INFLUX_DB and its credentials; the embedded one of \`qingyun start\` has a port of its
own each start — give --influx-url from its start log.`

const str = { type: 'string' } as const

export async function reportCommand(args: string[], ctx: CommandContext): Promise<number> {
  try {
    const [which, ...rest] = args
    if (which !== 'daily' && which !== 'monthly')
      throw new UsageError(`report: daily or monthly, not ${JSON.stringify(which ?? '')}`)
    const { values, positionals } = parse(`report ${which}`, rest, {
      date: str,
      month: str,
      out: str,
      'influx-url': str
    })
    if (positionals.length > 0)
      throw new UsageError(`report ${which}: unexpected argument ${JSON.stringify(positionals[0])}`)
    const out = required(`report ${which}`, '--out FILE', values.out)
    const ext = path.extname(out).toLowerCase()
    if (ext !== '.xlsx' && ext !== '.json') throw new UsageError(`report ${which}: --out must end in .xlsx or .json`)
    const config = parseConfig(ctx.env)
    const url = values['influx-url'] ?? config.influx.url
    if (!url) throw new UsageError(`report ${which}: no InfluxDB: set QINGYUN_INFLUX_URL or give --influx-url`)
    const auth =
      config.influx.auth ??
      (config.influx.url || values['influx-url'] === undefined
        ? undefined
        : await readCredentials(path.join(config.dataDir, INFLUXD_CREDENTIALS_FILE)).catch(() => undefined))
    const influx = createInfluxClient({ url, db: config.influx.db, ...(auth ? { auth } : {}) })
    const registry = await loadRegistry(config.registryPath)
    const now = Date.now()
    const today = localDate(now, config.tz)
    const log = pino({ level: 'warn' }, pino.destination(2))
    const source = influxSource({ influx, registry, tz: config.tz, now: Date.now, log, timers: realTimers })
    try {
      let report
      if (which === 'daily') {
        const date = values.date ?? addDays(today, -1)
        const d = Day.safeParse(date)
        if (!d.success) throw new UsageError(`report daily: --date ${d.error.issues[0]?.message ?? 'is invalid'}`)
        if (date > today) throw new UsageError('report daily: --date must not be after today')
        report = await dailyReport(source, registry, date, now)
      } else {
        const month = values.month ?? today.slice(0, 7)
        if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new UsageError('report monthly: --month must be YYYY-MM')
        if (month > today.slice(0, 7)) throw new UsageError('report monthly: --month must not be after this month')
        report = await monthlyReport(source, registry, month, now)
      }
      await writeFile(out, ext === '.xlsx' ? await reportXlsx(report) : `${JSON.stringify(report, null, 2)}\n`)
      ctx.stderr.write(`wrote the ${which} report (${report.days.length} days) to ${out}\n`)
      return 0
    } finally {
      await source.close()
    }
  } catch (err) {
    if (err instanceof UsageError) return reportUsage(ctx.stderr, err, USAGE)
    throw err
  }
}
