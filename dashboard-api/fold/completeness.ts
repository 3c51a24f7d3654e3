import type { CompletenessRow } from '../../contracts/ops.ts'
import type { RejectionCode } from '../../contracts/rejection.ts'
import type { Registry } from '../../contracts/registry.ts'
import type { DayState, DeviceDay } from './state.ts'

type Counts = Omit<CompletenessRow, 'day' | 'key' | 'by' | 'conflictDetails'>

function conflictDetails(dd: DeviceDay | undefined): Pick<CompletenessRow, 'conflictDetails'> {
  if (!dd || dd.conflictList.length === 0) return {}
  return {
    conflictDetails: dd.conflictList.map((c) => ({
      ts: c.ts,
      recvMs: c.recvMs,
      kind: c.dataKind,
      ...(c.ticketId === undefined ? {} : { ticketId: c.ticketId }),
      ...(c.seq === undefined ? {} : { seq: c.seq }),
      previous: c.previous,
      current: c.current
    }))
  }
}

function counts(dd: DeviceDay | undefined): Counts {
  if (!dd) return { accepted: 0, rejected: {}, rejectedTotal: 0, duplicates: 0, conflicts: 0, late: 0, missing: 0 }
  const rejected = { ...dd.rejected }
  const rejectedTotal = Object.values(rejected).reduce<number>((a, b) => a + (b ?? 0), 0)
  return {
    accepted: dd.accepted,
    rejected,
    rejectedTotal,
    duplicates: dd.duplicates,
    conflicts: dd.conflicts,
    late: dd.late,
    missing: dd.allSeqs.gaps()
  }
}

function sum(a: Counts, b: Counts): Counts {
  const rejected: Partial<Record<RejectionCode, number>> = { ...a.rejected }
  for (const [code, n] of Object.entries(b.rejected) as [RejectionCode, number][])
    rejected[code] = (rejected[code] ?? 0) + n
  return {
    accepted: a.accepted + b.accepted,
    rejected,
    rejectedTotal: a.rejectedTotal + b.rejectedTotal,
    duplicates: a.duplicates + b.duplicates,
    conflicts: a.conflicts + b.conflicts,
    late: a.late + b.late,
    missing: a.missing + b.missing
  }
}

/**
 * The completeness report of a day: one row per registered device (and any other device that
 * sent something that day), or per site (the sum over its weighbridges). A device or site with
 * no data has a row of zeros: silence is part of the report.
 */
export function completenessRows(
  d: DayState | undefined,
  day: string,
  by: 'device' | 'site',
  registry: Registry
): CompletenessRow[] {
  const ids = new Set(registry.devices.map((x) => x.id))
  for (const id of d?.devices.keys() ?? []) ids.add(id)
  if (by === 'device') {
    return [...ids].sort().map((key) => {
      const dd = d?.devices.get(key)
      return { day, key, by, ...counts(dd), ...conflictDetails(dd) }
    })
  }
  return registry.sites.map((site) => {
    let c = counts(undefined)
    for (const dev of registry.devices) if (dev.siteId === site.id) c = sum(c, counts(d?.devices.get(dev.id)))
    return { day, key: site.id, by, ...c }
  })
}
