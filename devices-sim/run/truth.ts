// Ground truth: what the simulator sent and what the broker acknowledged, in the numbers the
// system reports — per site and local day Σ net of acknowledged tickets; per device and day
// objects accepted (by kind), rejected by design (by code), duplicates sent, late objects.
import { z } from 'zod'
import { Kind } from '../../contracts/device/index.ts'
import { RejectionCode } from '../../contracts/rejection.ts'

const Counts = z.record(z.string(), z.number().int())

export const DeviceDayTruth = z.object({
  accepted: z.partialRecord(Kind, z.number().int()),
  rejected: z.partialRecord(RejectionCode, z.number().int()),
  duplicates: z.number().int(),
  late: z.number().int()
})
export type DeviceDayTruth = z.infer<typeof DeviceDayTruth>

export const DeviceTruth = z.object({
  deviceId: z.string(),
  type: z.string(),
  /** PUBLISH packets handed to the client, and those acknowledged (PUBACK). */
  sent: z.number().int(),
  acked: z.number().int(),
  failed: z.number().int(),
  rejectedByDesign: z.number().int(),
  duplicatesSent: z.number().int(),
  /** Messages in flight when a connection dropped: mqtt.js resends them, so the broker may count them twice. */
  possibleRetransmits: z.number().int(),
  reconnects: z.number().int(),
  seq: z.object({ min: z.number().int(), max: z.number().int(), count: z.number().int() }).nullable(),
  days: z.record(z.string(), DeviceDayTruth)
})
export type DeviceTruth = z.infer<typeof DeviceTruth>

export const SiteDayTruth = z.object({
  siteId: z.string(),
  day: z.string(),
  inKg: z.number().int(),
  outKg: z.number().int(),
  ticketsIn: z.number().int(),
  ticketsOut: z.number().int()
})
export type SiteDayTruth = z.infer<typeof SiteDayTruth>

export const Truth = z.object({
  version: z.literal(1),
  mode: z.enum(['city', 'load']),
  tz: z.string(),
  seed: z.number().optional(),
  date: z.string().optional(),
  speed: z.number().optional(),
  /** Wall-clock window of the run, epoch ms: rejections are stamped with arrival time. */
  startedAt: z.number(),
  endedAt: z.number(),
  faults: Counts,
  sites: z.array(SiteDayTruth),
  devices: z.array(DeviceTruth)
})
export type Truth = z.infer<typeof Truth>

/** What one acknowledged PUBLISH means for the numbers. */
export type Outcome =
  | {
      readonly kind: 'accepted'
      readonly msgKind: Kind
      readonly days: readonly string[]
      readonly tickets?: readonly { siteId: string; day: string; direction: 'in' | 'out'; netKg: number }[]
      readonly seqs: readonly number[]
      readonly late?: boolean
      readonly duplicate?: boolean
    }
  | { readonly kind: 'rejected'; readonly code: RejectionCode; readonly day: string; readonly count: number }

export function createTruth(
  meta: Pick<Truth, 'mode' | 'tz'> & Partial<Pick<Truth, 'seed' | 'date' | 'speed'>>,
  deviceTypes: ReadonlyMap<string, string>
) {
  const devices = new Map<string, DeviceTruth>()
  const sites = new Map<string, SiteDayTruth>()
  const faults: Record<string, number> = {}
  const startedAt = Date.now()
  const dev = (id: string): DeviceTruth => {
    let d = devices.get(id)
    if (!d) {
      d = {
        deviceId: id,
        type: deviceTypes.get(id) ?? 'unknown',
        sent: 0,
        acked: 0,
        failed: 0,
        rejectedByDesign: 0,
        duplicatesSent: 0,
        possibleRetransmits: 0,
        reconnects: 0,
        seq: null,
        days: {}
      }
      devices.set(id, d)
    }
    return d
  }
  const day = (d: DeviceTruth, date: string): DeviceDayTruth =>
    (d.days[date] ??= { accepted: {}, rejected: {}, duplicates: 0, late: 0 })
  return {
    device: dev,
    fault(name: string, n = 1): void {
      faults[name] = (faults[name] ?? 0) + n
    },
    sent(id: string): void {
      dev(id).sent++
    },
    failed(id: string): void {
      dev(id).failed++
    },
    acked(id: string, o: Outcome): void {
      const d = dev(id)
      d.acked++
      if (o.kind === 'rejected') {
        d.rejectedByDesign += o.count
        const dd = day(d, o.day)
        dd.rejected[o.code] = (dd.rejected[o.code] ?? 0) + o.count
        return
      }
      if (o.duplicate) {
        for (const date of o.days) day(d, date).duplicates++
        return
      }
      for (const date of o.days) {
        const dd = day(d, date)
        dd.accepted[o.msgKind] = (dd.accepted[o.msgKind] ?? 0) + 1
        if (o.late) dd.late++
      }
      for (const s of o.seqs)
        d.seq = d.seq
          ? { min: Math.min(d.seq.min, s), max: Math.max(d.seq.max, s), count: d.seq.count + 1 }
          : { min: s, max: s, count: 1 }
      for (const t of o.tickets ?? []) {
        const k = `${t.siteId}|${t.day}`
        const s = sites.get(k) ?? { siteId: t.siteId, day: t.day, inKg: 0, outKg: 0, ticketsIn: 0, ticketsOut: 0 }
        if (t.direction === 'in') {
          s.inKg += t.netKg
          s.ticketsIn++
        } else {
          s.outKg += t.netKg
          s.ticketsOut++
        }
        sites.set(k, s)
      }
    },
    toJSON(): Truth {
      return {
        version: 1,
        ...meta,
        startedAt,
        endedAt: Date.now(),
        faults: { ...faults },
        sites: [...sites.values()].sort((a, b) => a.day.localeCompare(b.day) || a.siteId.localeCompare(b.siteId)),
        devices: [...devices.values()].sort((a, b) => a.deviceId.localeCompare(b.deviceId))
      }
    }
  }
}
export type TruthRecorder = ReturnType<typeof createTruth>
