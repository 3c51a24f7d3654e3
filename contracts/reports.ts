// The operations reports (日报, 月报) as JSON: `GET /api/v1/reports/daily|monthly?format=json`.
// The .xlsx files (dashboard-api/reports/xlsx.ts) and `qingyun report` are made from these.
import { z } from 'zod'
import { Material } from './device/weighing.ts'

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/)
const Pct = z.number().nullable().describe('null when the denominator is 0')

export const ReportSiteRow = z.object({
  siteId: z.string(),
  name: z.string(),
  type: z.enum(['transfer', 'sorting']),
  district: z.string(),
  openingT: z.number(),
  inT: z.number(),
  outT: z.number(),
  stockT: z.number(),
  clearancePct: Pct,
  toleranceT: z.number(),
  /** Stock within tolerance at the end of the last day. */
  cleared: z.boolean(),
  /** Days of the report the site ended cleared, out of `days`. */
  daysCleared: z.number().int(),
  days: z.number().int(),
  ticketsIn: z.number().int(),
  ticketsOut: z.number().int()
})
export type ReportSiteRow = z.infer<typeof ReportSiteRow>

export const ReportCapacityRow = z.object({
  siteId: z.string(),
  name: z.string(),
  capacityTpd: z.number(),
  inT: z.number(),
  /** In / capacity of the busiest day (the day itself in a daily report). */
  capacityPct: Pct,
  /** Days inbound exceeded design capacity (0 or 1 in a daily report). */
  daysOver: z.number().int()
})
export type ReportCapacityRow = z.infer<typeof ReportCapacityRow>

export const ReportRecyclableRow = z.object({
  material: Material,
  inT: z.number(),
  outT: z.number(),
  /** Recovered (outbound of sorting centres) from the 1st of the month to the report's last day. */
  monthT: z.number(),
  monthTargetT: z.number().nullable(),
  monthPct: Pct
})

export const ReportYieldRow = z.object({
  siteId: z.string(),
  name: z.string(),
  inT: z.number(),
  outT: z.number(),
  yieldPct: Pct
})

export const ReportBinRow = z.object({
  district: z.string(),
  bins: z.number().int(),
  /** Bins with at least one reading (bin-days in a monthly report). */
  reporting: z.number().int(),
  /** Bins emptied at least once (bin-days in a monthly report). */
  serviced: z.number().int(),
  /** Bins that reached the overflow threshold (bin-days in a monthly report). */
  overflowed: z.number().int()
})

export const ReportVehicleRow = z.object({
  vehicleId: z.string(),
  plate: z.string(),
  type: z.string(),
  district: z.string(),
  /** null while the day is in progress (counted, and distance computed, when the day closes). */
  fixes: z.number().int().nullable(),
  km: z.number().nullable(),
  zoneViolations: z.number().int(),
  speedViolations: z.number().int()
})

export const ReportCompletenessRow = z.object({
  deviceId: z.string(),
  type: z.string(),
  /** The site, bin or vehicle it belongs to, by name where it has one (plate for vehicles). */
  ref: z.string(),
  accepted: z.number().int(),
  rejected: z.number().int(),
  duplicates: z.number().int(),
  conflicts: z.number().int(),
  late: z.number().int(),
  missing: z.number().int()
})

export const ReportCityDay = z.object({
  day: Day,
  inT: z.number(),
  outT: z.number(),
  targetT: z.number(),
  targetPct: Pct,
  sitesCleared: z.number().int(),
  sitesTotal: z.number().int(),
  /** Today: the numbers so far. */
  inProgress: z.boolean()
})
export type ReportCityDay = z.infer<typeof ReportCityDay>

const ReportBody = {
  city: z.object({ id: z.string(), name: z.string(), tz: z.string() }),
  generatedAt: z.number(),
  /** The local days covered (a month up to today at most). */
  days: z.array(Day),
  cityDays: z.array(ReportCityDay),
  sites: z.array(ReportSiteRow),
  capacity: z.array(ReportCapacityRow),
  recyclables: z.array(ReportRecyclableRow),
  sortingYield: z.array(ReportYieldRow),
  bins: z.array(ReportBinRow),
  vehicles: z.array(ReportVehicleRow),
  completeness: z.array(ReportCompletenessRow)
}

export const DailyReport = z.object({ kind: z.literal('daily'), day: Day, ...ReportBody })
export type DailyReport = z.infer<typeof DailyReport>

export const MonthlyReport = z.object({
  kind: z.literal('monthly'),
  month: z.string().regex(/^\d{4}-\d{2}$/),
  ...ReportBody
})
export type MonthlyReport = z.infer<typeof MonthlyReport>

export type Report = DailyReport | MonthlyReport
