// The daily and monthly reports (dashboard-api/reports/) on a real node: yesterday's tickets,
// fill readings and GPS fixes sent over MQTT, the .xlsx read back with exceljs (sheets, Chinese
// headers, names, totals equal to the REST numbers), and `qingyun report daily` writing the same
// workbook from InfluxDB directly.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import { describe, expect, it, onTestFinished } from 'vitest'
import { main } from '../../cli/main.ts'
import type { CitySummary, SiteBalance } from '../../contracts/ops.ts'
import { DailyReport, MonthlyReport } from '../../contracts/reports.ts'
import { SHEETS } from '../../dashboard-api/reports/xlsx.ts'
import { addDays, startOfLocalDay } from '../../lib/time.ts'
import { captureStreams } from '../fixtures/streams.ts'
import { type TestSystem, withSystem } from '../harness/system.ts'

const TZ = 'Asia/Shanghai'

async function sendYesterday(t: TestSystem, day: string): Promise<void> {
  const at = (h: number, m = 0): string => new Date(startOfLocalDay(day, TZ) + h * 3_600_000 + m * 60_000).toISOString()
  const ticket = (seq: number, id: string, direction: 'in' | 'out', netKg: number, h: number) => ({
    ts: at(h),
    seq,
    ticketId: id,
    direction,
    stream: 'residual',
    grossKg: netKg + 10_000,
    tareKg: 10_000,
    netKg,
    plate: '苏B12345'
  })
  const wb = await t.device('wb-1')
  await wb.publishAsync(
    'v1/devices/wb-1/weighing',
    JSON.stringify([
      ticket(1, 'R-1', 'in', 8_120, 8),
      ticket(2, 'R-2', 'in', 6_400, 9),
      ticket(4, 'R-3', 'out', 9_000, 15)
    ]),
    { qos: 1 }
  )
  const fill = await t.device('fill-1')
  await fill.publishAsync(
    'v1/devices/fill-1/fill',
    JSON.stringify([
      { ts: at(6), seq: 1, fillPct: 60 },
      { ts: at(10), seq: 2, fillPct: 104 },
      { ts: at(11), seq: 3, fillPct: 5 }
    ]),
    { qos: 1 }
  )
  const gps = await t.device('gps-1')
  await gps.publishAsync(
    'v1/devices/gps-1/position',
    JSON.stringify([
      { ts: at(7), seq: 1, lat: 31.5, lon: 120.3, speedKmh: 20 },
      { ts: at(7, 1), seq: 2, lat: 31.51, lon: 120.3, speedKmh: 30 },
      { ts: at(7, 2), seq: 3, lat: 31.52, lon: 120.3, speedKmh: 30 }
    ]),
    { qos: 1 }
  )
  await t.forwarded()
}

async function workbook(bytes: Uint8Array): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook()
  await wb.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer)
  return wb
}

const rowValues = (ws: ExcelJS.Worksheet, n: number): unknown[] => (ws.getRow(n).values as unknown[]).slice(1)
/** The row whose first cell is `label`. */
const rowOf = (ws: ExcelJS.Worksheet, label: string): unknown[] => {
  for (let i = 1; i <= ws.rowCount; i++) if (ws.getRow(i).getCell(1).value === label) return rowValues(ws, i)
  throw new Error(`no row ${label} in ${ws.name}`)
}

describe('operations reports', () => {
  it('daily .xlsx read back: sheets, Chinese headers, names, totals equal to REST; the CLI writes the same', async () => {
    const t = await withSystem()
    const token = await t.token('viewer')
    const today = (await t.api<{ day: string }>('/api/v1/city', token)).body.day
    const day = addDays(today, -1)
    await sendYesterday(t, day)

    const json = await t.api<unknown>(`/api/v1/reports/daily?date=${day}&format=json`, token)
    expect(json.status).toBe(200)
    const report = DailyReport.parse(json.body)
    const res = await fetch(`${t.httpUrl}/api/v1/reports/daily?date=${day}&format=xlsx`, {
      headers: { authorization: `Bearer ${token}` }
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('spreadsheetml')
    expect(res.headers.get('content-disposition')).toContain(`daily-${day}.xlsx`)
    const wb = await workbook(new Uint8Array(await res.arrayBuffer()))

    expect(wb.worksheets.map((w) => w.name)).toEqual(Object.values(SHEETS))
    for (const ws of wb.worksheets) {
      expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 2 })
      expect(String(ws.getCell('A1').value)).toContain(`无锡 ${day} 日报`)
    }
    const sites = wb.getWorksheet(SHEETS.sites)!
    expect(rowValues(sites, 2).slice(0, 8)).toEqual([
      '站点名称',
      '站点编号',
      '类型',
      '区',
      '期初库存 (吨)',
      '进站量 (吨)',
      '出站量 (吨)',
      '期末库存 (吨)'
    ])
    const rest = (await t.api<SiteBalance[]>(`/api/v1/sites?date=${day}`, token)).body
    const ts1 = rest.find((s) => s.siteId === 'ts-1')!
    expect(ts1).toMatchObject({ inT: 14.52, outT: 9 })
    const row = rowOf(sites, ts1.name)
    expect(row.slice(1, 11)).toEqual([
      'ts-1',
      '转运站',
      ts1.district,
      0,
      14.52,
      9,
      5.52,
      ts1.clearancePct,
      ts1.toleranceT,
      '否'
    ])
    const sum = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b * 1000, 0)) / 1000
    expect(rowOf(sites, '合计').slice(4, 8)).toEqual([
      sum(rest.map((s) => s.openingT)),
      sum(rest.map((s) => s.inT)),
      sum(rest.map((s) => s.outT)),
      sum(rest.map((s) => s.stockT))
    ])
    const city = (await t.api<CitySummary>(`/api/v1/city?date=${day}`, token)).body
    expect(rowOf(wb.getWorksheet(SHEETS.city)!, day).slice(1, 5)).toEqual([city.inT, city.outT, 5300, city.targetPct])

    // Bins and vehicles of the closed day, from its summary: the bin overflowed and was emptied;
    // the truck drove two minutes north (about 2.2 km).
    expect(rowOf(wb.getWorksheet(SHEETS.bins)!, '梁溪').slice(1)).toEqual([1, 1, 1, 1])
    const truck = rowOf(wb.getWorksheet(SHEETS.vehicles)!, '苏B12345')
    expect(truck.slice(1, 5)).toEqual(['veh-1', '压缩车', '梁溪', 3])
    expect(truck[5]).toBeCloseTo(2.2, 1)
    const completeness = wb.getWorksheet(SHEETS.completeness)!
    const rest2 = (
      await t.api<{ key: string; accepted: number; missing: number }[]>(
        `/api/v1/completeness?date=${day}&by=device`,
        token
      )
    ).body
    expect(rowOf(completeness, 'wb-1').slice(1, 4)).toEqual([
      '地磅',
      ts1.name,
      rest2.find((r) => r.key === 'wb-1')!.accepted
    ])
    expect(rowOf(completeness, 'wb-1')[8]).toBe(1) // seq 3 never came
    expect(report.completeness.find((c) => c.deviceId === 'wb-1')).toMatchObject({ accepted: 3, missing: 1 })

    // The CLI, from InfluxDB directly: the same sheets and cells (the title's time aside).
    const dir = await mkdtemp(join(tmpdir(), 'qingyun-report-'))
    onTestFinished(() => rm(dir, { recursive: true, force: true }))
    const out = join(dir, 'daily.xlsx')
    const io = captureStreams()
    const env: Record<string, string> = {
      QINGYUN_REGISTRY: t.registryPath,
      QINGYUN_DATA_DIR: t.dataDir,
      QINGYUN_INFLUX_URL: t.db.url,
      QINGYUN_INFLUX_DB: t.db.db,
      ...(t.db.auth && 'username' in t.db.auth
        ? { QINGYUN_INFLUX_USERNAME: t.db.auth.username, QINGYUN_INFLUX_PASSWORD: t.db.auth.password }
        : {}),
      ...(t.db.auth && 'token' in t.db.auth ? { QINGYUN_INFLUX_TOKEN: t.db.auth.token } : {})
    }
    const code = await main(['report', 'daily', '--date', day, '--out', out], {
      env,
      stdout: io.stdout,
      stderr: io.stderr
    })
    expect(code, io.err()).toBe(0)
    const cli = await workbook(await readFile(out))
    for (const ws of wb.worksheets) {
      const other = cli.getWorksheet(ws.name)!
      expect(other.rowCount).toBe(ws.rowCount)
      for (let i = 1; i <= ws.rowCount; i++) expect(rowValues(other, i)).toEqual(rowValues(ws, i))
    }

    // The month so far: yesterday's numbers are in it (unless yesterday was last month).
    const monthly = await t.api<unknown>(`/api/v1/reports/monthly?month=${today.slice(0, 7)}`, token)
    expect(monthly.status).toBe(200)
    const m = MonthlyReport.parse(monthly.body)
    expect(m.days.at(-1)).toBe(today)
    if (day.startsWith(today.slice(0, 7)))
      expect(m.sites.find((s) => s.siteId === 'ts-1')).toMatchObject({ inT: 14.52, outT: 9 })

    // Bounded and validated: a future day or month is refused naming the parameter.
    const bad = await t.api<{ error: { code: string; message: string } }>(
      `/api/v1/reports/daily?date=${addDays(today, 1)}`,
      token
    )
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toContain('date')
    expect((await t.api(`/api/v1/reports/monthly?month=2026-13`, token)).status).toBe(400)
  })
})
