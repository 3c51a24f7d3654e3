// A report as an Excel workbook (.xlsx, exceljs): one sheet per section, Chinese headers with
// units, names beside ids, 是/否, a title row and the header row frozen, a 合计 row where a
// total means something. The numbers are the report's (contracts/reports.ts), unchanged.
import ExcelJS from 'exceljs'
import type { Material } from '../../contracts/device/weighing.ts'
import type { Report } from '../../contracts/reports.ts'

export const MATERIAL_ZH: Record<Material, string> = {
  steel: '钢铁',
  copper: '铜',
  aluminium: '铝',
  lead: '铅',
  zinc: '锌',
  paper: '纸类',
  plastic: '塑料',
  rubber: '橡胶',
  glass: '玻璃',
  textile: '纺织物',
  wood: '木材',
  'e-waste': '电子废弃物',
  battery: '废电池',
  other: '其他'
}
export const SITE_TYPE_ZH: Record<string, string> = { transfer: '转运站', sorting: '分拣中心' }
export const VEHICLE_TYPE_ZH: Record<string, string> = {
  compactor: '压缩车',
  kitchen: '餐厨车',
  recyclable: '可回收物车',
  hazardous: '有害垃圾车',
  bulky: '大件垃圾车',
  transfer: '转运车'
}
export const DEVICE_TYPE_ZH: Record<string, string> = {
  weighbridge: '地磅',
  'fill-sensor': '满溢传感器',
  'gps-tracker': '车载定位'
}
export const yesNo = (b: boolean): string => (b ? '是' : '否')

type Cell = string | number | null
type Format = 't' | 'pct' | 'int' | 'km' | 'text'
interface Column {
  readonly header: string
  readonly width: number
  readonly format: Format
}

const NUM_FMT: Record<Format, string | undefined> = {
  t: '#,##0.000',
  pct: '0.0"%"',
  int: '#,##0',
  km: '#,##0.0',
  text: undefined
}

/** The sheet names, in order (tests and users look them up by name). */
export const SHEETS = {
  city: '城市合计',
  sites: '日收日清',
  capacity: '处理能力',
  recyclables: '可回收物',
  sorting: '分拣产出',
  bins: '垃圾桶',
  vehicles: '车辆',
  completeness: '数据完整性'
} as const

function sheet(
  wb: ExcelJS.Workbook,
  name: string,
  title: string,
  columns: readonly Column[],
  rows: readonly Cell[][],
  total?: Cell[]
): void {
  // Title in row 1, headers in row 2, both frozen so they stay while scrolling.
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 2 }] })
  ws.addRow([title]).font = { bold: true, size: 13 }
  const header = ws.addRow(columns.map((c) => c.header))
  header.font = { bold: true }
  header.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true }
  header.eachCell((cell) => {
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } }
    cell.border = { bottom: { style: 'thin' } }
  })
  columns.forEach((c, i) => {
    const col = ws.getColumn(i + 1)
    col.width = c.width
    const fmt = NUM_FMT[c.format]
    if (fmt) col.numFmt = fmt
  })
  for (const r of rows) ws.addRow(r)
  if (total) ws.addRow(total).font = { bold: true }
  ws.pageSetup = { paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 }
  ws.pageSetup.printTitlesRow = '1:2'
}

const sum = (xs: readonly number[]): number => Math.round(xs.reduce((a, b) => a + b * 1000, 0)) / 1000
const col = (header: string, width: number, format: Format): Column => ({ header, width, format })

export async function reportXlsx(r: Report): Promise<Buffer> {
  const wb = new ExcelJS.Workbook()
  wb.creator = 'Qingyun 清运'
  wb.created = new Date(r.generatedAt)
  const period = r.kind === 'daily' ? `${r.day} 日报` : `${r.month} 月报`
  const t = (section: string): string => `${r.city.name} ${period} — ${section}`

  sheet(
    wb,
    SHEETS.city,
    t('城市合计与日目标'),
    [
      col('日期', 12, 'text'),
      col('进站量 (吨)', 14, 't'),
      col('出站量 (吨)', 14, 't'),
      col('日目标 (吨)', 12, 't'),
      col('目标完成率 (%)', 14, 'pct'),
      col('日清站点 (个)', 12, 'int'),
      col('站点总数 (个)', 12, 'int'),
      col('状态', 10, 'text')
    ],
    r.cityDays.map((d) => [
      d.day,
      d.inT,
      d.outT,
      d.targetT,
      d.targetPct,
      d.sitesCleared,
      d.sitesTotal,
      d.inProgress ? '进行中' : '已结束'
    ]),
    [
      '合计',
      sum(r.cityDays.map((d) => d.inT)),
      sum(r.cityDays.map((d) => d.outT)),
      sum(r.cityDays.map((d) => d.targetT)),
      null,
      null,
      null,
      null
    ]
  )
  sheet(
    wb,
    SHEETS.sites,
    t('日收日清（各站点）'),
    [
      col('站点名称', 26, 'text'),
      col('站点编号', 14, 'text'),
      col('类型', 10, 'text'),
      col('区', 8, 'text'),
      col('期初库存 (吨)', 13, 't'),
      col('进站量 (吨)', 13, 't'),
      col('出站量 (吨)', 13, 't'),
      col('期末库存 (吨)', 13, 't'),
      col('清运率 (%)', 11, 'pct'),
      col('容差 (吨)', 10, 't'),
      col('日清', 8, 'text'),
      col('日清天数 (天)', 12, 'int'),
      col('统计天数 (天)', 12, 'int'),
      col('进站车次', 10, 'int'),
      col('出站车次', 10, 'int')
    ],
    r.sites.map((s) => [
      s.name,
      s.siteId,
      SITE_TYPE_ZH[s.type] ?? s.type,
      s.district,
      s.openingT,
      s.inT,
      s.outT,
      s.stockT,
      s.clearancePct,
      s.toleranceT,
      yesNo(s.cleared),
      s.daysCleared,
      s.days,
      s.ticketsIn,
      s.ticketsOut
    ]),
    [
      '合计',
      null,
      null,
      null,
      sum(r.sites.map((s) => s.openingT)),
      sum(r.sites.map((s) => s.inT)),
      sum(r.sites.map((s) => s.outT)),
      sum(r.sites.map((s) => s.stockT)),
      null,
      null,
      null,
      null,
      null,
      r.sites.reduce((a, s) => a + s.ticketsIn, 0),
      r.sites.reduce((a, s) => a + s.ticketsOut, 0)
    ]
  )
  sheet(
    wb,
    SHEETS.capacity,
    t('处理能力使用'),
    [
      col('站点名称', 26, 'text'),
      col('站点编号', 14, 'text'),
      col('设计能力 (吨/日)', 15, 't'),
      col('进站量 (吨)', 13, 't'),
      col('最高负荷率 (%)', 14, 'pct'),
      col('超设计能力天数 (天)', 17, 'int')
    ],
    r.capacity.map((c) => [c.name, c.siteId, c.capacityTpd, c.inT, c.capacityPct, c.daysOver])
  )
  sheet(
    wb,
    SHEETS.recyclables,
    t('可回收物（按品类，本月累计对比月目标）'),
    [
      col('品类', 12, 'text'),
      col('进站量 (吨)', 13, 't'),
      col('出站量 (吨)', 13, 't'),
      col('本月回收量 (吨)', 15, 't'),
      col('月目标 (吨)', 12, 't'),
      col('月目标完成率 (%)', 15, 'pct')
    ],
    r.recyclables.map((m) => [MATERIAL_ZH[m.material], m.inT, m.outT, m.monthT, m.monthTargetT, m.monthPct]),
    [
      '合计',
      sum(r.recyclables.map((m) => m.inT)),
      sum(r.recyclables.map((m) => m.outT)),
      sum(r.recyclables.map((m) => m.monthT)),
      sum(r.recyclables.map((m) => m.monthTargetT ?? 0)),
      null
    ]
  )
  sheet(
    wb,
    SHEETS.sorting,
    t('分拣中心产出率'),
    [
      col('分拣中心', 26, 'text'),
      col('站点编号', 14, 'text'),
      col('可回收物进站 (吨)', 16, 't'),
      col('可回收物出站 (吨)', 16, 't'),
      col('产出率 (%)', 11, 'pct')
    ],
    r.sortingYield.map((y) => [y.name, y.siteId, y.inT, y.outT, y.yieldPct])
  )
  sheet(
    wb,
    SHEETS.bins,
    t(r.kind === 'daily' ? '垃圾桶清运与满溢（按区）' : '垃圾桶清运与满溢（按区，桶·天）'),
    [
      col('区', 10, 'text'),
      col('垃圾桶 (个)', 11, 'int'),
      col(r.kind === 'daily' ? '有数据 (个)' : '有数据 (桶·天)', 14, 'int'),
      col(r.kind === 'daily' ? '已清运 (个)' : '已清运 (桶·天)', 14, 'int'),
      col(r.kind === 'daily' ? '满溢 (个)' : '满溢 (桶·天)', 14, 'int')
    ],
    r.bins.map((b) => [b.district, b.bins, b.reporting, b.serviced, b.overflowed]),
    [
      '合计',
      r.bins.reduce((a, b) => a + b.bins, 0),
      r.bins.reduce((a, b) => a + b.reporting, 0),
      r.bins.reduce((a, b) => a + b.serviced, 0),
      r.bins.reduce((a, b) => a + b.overflowed, 0)
    ]
  )
  sheet(
    wb,
    SHEETS.vehicles,
    t('车辆里程与违规'),
    [
      col('车牌', 12, 'text'),
      col('车辆编号', 14, 'text'),
      col('车型', 12, 'text'),
      col('区', 8, 'text'),
      col('定位点 (个)', 11, 'int'),
      col('里程 (公里)', 12, 'km'),
      col('区域时段违规 (次)', 16, 'int'),
      col('超速 (次)', 10, 'int')
    ],
    r.vehicles.map((v) => [
      v.plate,
      v.vehicleId,
      VEHICLE_TYPE_ZH[v.type] ?? v.type,
      v.district,
      v.fixes,
      v.km,
      v.zoneViolations,
      v.speedViolations
    ])
  )
  sheet(
    wb,
    SHEETS.completeness,
    t('数据完整性（按设备）'),
    [
      col('设备编号', 16, 'text'),
      col('设备类型', 12, 'text'),
      col('所属', 26, 'text'),
      col('接收 (条)', 10, 'int'),
      col('拒收 (条)', 10, 'int'),
      col('重复 (条)', 10, 'int'),
      col('冲突 (条)', 10, 'int'),
      col('迟到 (条)', 10, 'int'),
      col('缺失 (条)', 10, 'int')
    ],
    r.completeness.map((c) => [
      c.deviceId,
      DEVICE_TYPE_ZH[c.type] ?? c.type,
      c.ref,
      c.accepted,
      c.rejected,
      c.duplicates,
      c.conflicts,
      c.late,
      c.missing
    ]),
    [
      '合计',
      null,
      null,
      ...(['accepted', 'rejected', 'duplicates', 'conflicts', 'late', 'missing'] as const).map((k) =>
        r.completeness.reduce((a, c) => a + c[k], 0)
      )
    ]
  )
  return Buffer.from(await wb.xlsx.writeBuffer())
}
