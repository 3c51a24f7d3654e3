// The sections of the operations report (contracts/reports.ts) as the reports view draws them:
// one table per section, the same order as the .xlsx sheets. Pure (no DOM).
import type { Report } from '../../../contracts/reports.ts'
import type { I18n } from './i18n/index.ts'

type Kind = 'text' | 'num' | 'int' | 'pct' | 'bool' | 'material' | 'district' | 'type'
interface Col {
  field: string
  /** i18n key of the header. */
  label: string
  kind: Kind
}
export interface Section {
  key: keyof Pick<
    Report,
    'cityDays' | 'sites' | 'capacity' | 'recyclables' | 'sortingYield' | 'bins' | 'vehicles' | 'completeness'
  >
  cols: readonly Col[]
}

const c = (field: string, label: string, kind: Kind = 'num'): Col => ({ field, label, kind })

export const SECTIONS: readonly Section[] = [
  {
    key: 'cityDays',
    cols: [
      c('day', 'col.day', 'text'),
      c('inT', 'col.in'),
      c('outT', 'col.out'),
      c('targetT', 'col.targetT'),
      c('targetPct', 'col.targetPct', 'pct'),
      c('sitesCleared', 'col.sitesCleared', 'int'),
      c('sitesTotal', 'col.sitesTotal', 'int'),
      c('inProgress', 'col.inProgress', 'bool')
    ]
  },
  {
    key: 'sites',
    cols: [
      c('name', 'col.name', 'text'),
      c('type', 'col.type', 'type'),
      c('district', 'col.district', 'district'),
      c('openingT', 'col.opening'),
      c('inT', 'col.in'),
      c('outT', 'col.out'),
      c('stockT', 'col.stock'),
      c('clearancePct', 'col.clearance', 'pct'),
      c('toleranceT', 'col.tolerance'),
      c('cleared', 'col.cleared', 'bool'),
      c('daysCleared', 'col.daysCleared', 'int'),
      c('ticketsIn', 'col.ticketsIn', 'int'),
      c('ticketsOut', 'col.ticketsOut', 'int')
    ]
  },
  {
    key: 'capacity',
    cols: [
      c('name', 'col.name', 'text'),
      c('capacityTpd', 'col.capacityTpd'),
      c('inT', 'col.in'),
      c('capacityPct', 'col.capacity', 'pct'),
      c('daysOver', 'col.daysOver', 'int')
    ]
  },
  {
    key: 'recyclables',
    cols: [
      c('material', 'col.material', 'material'),
      c('inT', 'col.in'),
      c('outT', 'col.out'),
      c('monthT', 'col.monthT'),
      c('monthTargetT', 'col.monthTargetT'),
      c('monthPct', 'col.monthPct', 'pct')
    ]
  },
  {
    key: 'sortingYield',
    cols: [c('name', 'col.name', 'text'), c('inT', 'col.in'), c('outT', 'col.out'), c('yieldPct', 'col.yield', 'pct')]
  },
  {
    key: 'bins',
    cols: [
      c('district', 'col.district', 'district'),
      c('bins', 'col.bins', 'int'),
      c('reporting', 'col.reporting', 'int'),
      c('serviced', 'col.serviced', 'int'),
      c('overflowed', 'col.overflowed', 'int')
    ]
  },
  {
    key: 'vehicles',
    cols: [
      c('plate', 'col.plate', 'text'),
      c('type', 'col.vehicleType', 'text'),
      c('district', 'col.district', 'district'),
      c('fixes', 'col.fixes', 'int'),
      c('km', 'col.km'),
      c('zoneViolations', 'col.zoneViolations', 'int'),
      c('speedViolations', 'col.speedViolations', 'int')
    ]
  },
  {
    key: 'completeness',
    cols: [
      c('deviceId', 'col.device', 'text'),
      c('type', 'col.deviceType', 'text'),
      c('ref', 'col.ref', 'text'),
      c('accepted', 'col.accepted', 'int'),
      c('rejected', 'col.rejected', 'int'),
      c('duplicates', 'col.duplicates', 'int'),
      c('conflicts', 'col.conflicts', 'int'),
      c('late', 'col.late', 'int'),
      c('missing', 'col.missing', 'int')
    ]
  }
]

/** A cell as text in the page's language. */
export function cell(i18n: I18n, col: Col, row: Record<string, unknown>): string {
  const v = row[col.field]
  switch (col.kind) {
    case 'num':
      return i18n.num(v as number | null)
    case 'int':
      return i18n.int(v as number | null)
    case 'pct':
      return i18n.pct(v as number | null)
    case 'bool':
      return i18n.t(v ? 'yes' : 'no')
    case 'material':
      return i18n.t(`material.${String(v)}`)
    case 'district':
      return i18n.district(String(v))
    case 'type':
      return i18n.t(`type.${String(v)}`)
    default:
      return v === null || v === undefined ? '–' : String(v)
  }
}
