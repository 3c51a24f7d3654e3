// The alert rules: pure functions from a snapshot of the views to the alerts
// that should be open now. One small rule per alert type behind a table (docs/conventions.md, rule 3);
// the lifecycle (de-duplication, hysteresis, ids) is in lifecycle.ts, the I/O in engine.ts.
import type { Alert, AlertType, Severity } from '../../contracts/ops.ts'
import { localDate, zoneOffsetMs } from '../../lib/time.ts'
import { groupOffline } from './offline.ts'
import type { AlertInputs, AlertRules } from './types.ts'

export type Subject = Alert['subject']
export type Details = Alert['details']

/** An alert the rules want open now. */
export interface Desired {
  readonly type: AlertType
  readonly severity: Severity
  readonly subject: Subject
  readonly message: string
  readonly details: Details
  /** The devices of a grouped alert. */
  readonly members?: Alert['members']
}

/** Types that are levels of one condition of a subject: at most one alert of a family is open
 *  per subject, and it moves between the levels (lifecycle.ts). Higher rank = higher level. */
const FAMILY: { readonly [T in AlertType]?: { readonly name: string; readonly rank: number } } = {
  'bin-near-full': { name: 'bin-fill', rank: 1 },
  'bin-overflow': { name: 'bin-fill', rank: 2 }
}
export const rank = (type: AlertType): number => FAMILY[type]?.rank ?? 0

export const SEVERITY: { readonly [T in AlertType]: Severity } = {
  'site-will-not-clear': 'critical',
  'site-over-capacity': 'warning',
  'site-stock-after-cutoff': 'critical',
  'bin-overflow': 'critical',
  'bin-near-full': 'warning',
  'vehicle-zone-window': 'warning',
  'vehicle-speeding': 'warning',
  'device-offline': 'warning',
  'device-low-battery': 'info',
  'rejection-spike': 'warning',
  'spool-full': 'critical'
}

/** The subject id of city-wide alerts. */
export const CITY = 'city'

interface RuleContext {
  readonly inputs: AlertInputs
  readonly rules: AlertRules
  readonly tz: string
  /** Local day and minute of the day (0–1439) of `inputs.now`. */
  readonly today: string
  readonly minuteOfDay: number
}

type Rule = (ctx: RuleContext) => Desired[]

/** Tonnes and percentages for messages: at most one decimal, no trailing ".0". */
export const num = (x: number): string => String(Math.round(x * 10) / 10)
const pct = (x: number): string => `${num(x)} %`

const desired = (type: AlertType, subject: Subject, message: string, details: Details): Desired => ({
  type,
  severity: SEVERITY[type],
  subject,
  message,
  details
})

/** Minutes after local midnight of "HH:MM", or undefined when it is not a valid time. */
export function parseCutoff(hhmm: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm)
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined
}

const siteWillNotClear: Rule = ({ inputs }) =>
  inputs.sites
    .filter((s) => s.projection.status === 'will-not-clear')
    .map((s) =>
      desired(
        'site-will-not-clear',
        { kind: 'site', id: s.siteId },
        `${s.name} will not clear today: projected stock ${num(s.projection.projectedStockT)} t > tolerance ${num(s.toleranceT)} t`,
        { day: s.day, projectedStockT: s.projection.projectedStockT, toleranceT: s.toleranceT, stockT: s.stockT }
      )
    )

const siteOverCapacity: Rule = ({ inputs }) =>
  inputs.sites
    .filter((s) => s.projection.overCapacity || (s.capacityPct !== null && s.capacityPct > 100))
    .map((s) => {
      const now = s.capacityPct !== null && s.capacityPct > 100
      const message = now
        ? `${s.name} is over capacity: ${num(s.inT)} t in today, ${pct(s.capacityPct!)} of ${num(s.capacityTpd)} t/day`
        : `${s.name} will exceed capacity today: projected ${num(s.projection.projectedInT)} t in > ${num(s.capacityTpd)} t/day`
      return desired('site-over-capacity', { kind: 'site', id: s.siteId }, message, {
        day: s.day,
        inT: s.inT,
        capacityTpd: s.capacityTpd,
        capacityPct: s.capacityPct,
        projectedInT: s.projection.projectedInT
      })
    })

// Only today's balance is compared with the clock: a balance of another day has its own cut-off.
const siteStockAfterCutoff: Rule = ({ inputs, today, minuteOfDay }) =>
  inputs.sites
    .filter((s) => {
      const cutoff = parseCutoff(s.cutoff)
      return s.day === today && cutoff !== undefined && minuteOfDay >= cutoff && s.stockT > s.toleranceT
    })
    .map((s) =>
      desired(
        'site-stock-after-cutoff',
        { kind: 'site', id: s.siteId },
        `${s.name} still holds ${num(s.stockT)} t after its ${s.cutoff} cut-off (tolerance ${num(s.toleranceT)} t)`,
        { day: s.day, stockT: s.stockT, toleranceT: s.toleranceT, cutoff: s.cutoff }
      )
    )

const overflowing = (fillPct: number | null, status: string, rules: AlertRules): boolean =>
  status === 'overflow' || (fillPct !== null && fillPct >= rules.binOverflowPct)

const binOverflow: Rule = ({ inputs, rules }) =>
  inputs.bins
    .filter((b) => overflowing(b.fillPct, b.status, rules))
    .map((b) =>
      desired(
        'bin-overflow',
        { kind: 'bin', id: b.binId },
        `Bin ${b.binId} (${b.district}, ${b.stream}) is overflowing: ${b.fillPct === null ? 'fill unknown' : `fill ${pct(b.fillPct)}`}`,
        {
          fillPct: b.fillPct,
          limitPct: rules.binOverflowPct,
          district: b.district,
          stream: b.stream,
          lastReadingAt: b.lastReadingAt
        }
      )
    )

const binNearFull: Rule = ({ inputs, rules }) =>
  inputs.bins
    .filter((b) => b.fillPct !== null && b.fillPct >= rules.binNearFullPct && !overflowing(b.fillPct, b.status, rules))
    .map((b) =>
      desired(
        'bin-near-full',
        { kind: 'bin', id: b.binId },
        `Bin ${b.binId} (${b.district}, ${b.stream}) is nearly full: fill ${pct(b.fillPct!)} ≥ ${pct(rules.binNearFullPct)}`,
        {
          fillPct: b.fillPct,
          limitPct: rules.binNearFullPct,
          district: b.district,
          stream: b.stream,
          predictedFullAt: b.predictedFullAt
        }
      )
    )

const vehicleZoneWindow: Rule = ({ inputs }) =>
  inputs.vehicles
    .filter((v) => v.zoneWindowViolation)
    .map((v) =>
      desired(
        'vehicle-zone-window',
        { kind: 'vehicle', id: v.vehicleId },
        `Vehicle ${v.plate} (${v.type}) is in zone ${v.zoneId ?? '?'} outside its allowed time window`,
        { plate: v.plate, zoneId: v.zoneId, lat: v.lat, lon: v.lon, lastFixAt: v.lastFixAt }
      )
    )

const vehicleSpeeding: Rule = ({ inputs }) =>
  inputs.vehicles
    .filter((v) => v.speeding)
    .map((v) =>
      desired(
        'vehicle-speeding',
        { kind: 'vehicle', id: v.vehicleId },
        `Vehicle ${v.plate} (${v.type}) is over the speed limit${v.zoneId === null ? '' : ` in zone ${v.zoneId}`}: ${v.speedKmh === null ? 'speed unknown' : `${num(v.speedKmh)} km/h`}`,
        {
          plate: v.plate,
          zoneId: v.zoneId,
          speedKmh: v.speedKmh,
          speedLimitKmh: v.speedLimitKmh ?? null,
          lat: v.lat,
          lon: v.lon,
          lastFixAt: v.lastFixAt
        }
      )
    )

/** Members listed on a grouped alert; the count in its details is the whole number. */
export const MAX_MEMBERS = 500

// Offline means seen and then silent: a disabled device is expected to be silent, and one never
// heard from has nothing to go silent from (it shows as "never reported" in completeness). Many
// silent at once in one district or at one site raise one alert for it with the list (offline.ts).
const deviceOffline: Rule = ({ inputs, rules }) => {
  const offline = inputs.devices.filter((d) => d.enabled && d.offline && d.lastSeenAt !== null)
  const { groups, alone } = groupOffline(offline, inputs.districtOf, inputs.siteOf, rules.offlineGroupMin)
  const out: Desired[] = groups.map((g) => ({
    ...desired(
      'device-offline',
      g.subject,
      g.subject.kind === 'site'
        ? `${g.ids.length} devices offline at site ${g.subject.id}`
        : `${g.ids.length} devices offline in ${g.subject.id}`,
      {
        [g.subject.kind]: g.subject.id,
        count: g.ids.length,
        lastSeenAt: g.lastSeenAt
      }
    ),
    members: g.ids.slice(0, MAX_MEMBERS).map((id) => ({ id }))
  }))
  for (const d of alone) {
    out.push(
      desired(
        'device-offline',
        { kind: 'device', id: d.deviceId },
        `Device ${d.deviceId} (${d.type}, ${d.ref}) is offline: last seen ${new Date(d.lastSeenAt!).toISOString()}`,
        { ref: d.ref, deviceType: d.type, lastSeenAt: d.lastSeenAt }
      )
    )
  }
  return out
}

const deviceLowBattery: Rule = ({ inputs, rules }) =>
  inputs.devices
    .filter((d) => d.enabled && d.batteryPct !== null && d.batteryPct < rules.lowBatteryPct)
    .map((d) =>
      desired(
        'device-low-battery',
        { kind: 'device', id: d.deviceId },
        `Device ${d.deviceId} (${d.type}, ${d.ref}) battery is low: ${pct(d.batteryPct!)} < ${pct(rules.lowBatteryPct)}`,
        { ref: d.ref, deviceType: d.type, batteryPct: d.batteryPct, limitPct: rules.lowBatteryPct }
      )
    )

const isSpike = (rejected: number, accepted: number, rules: AlertRules): boolean =>
  rejected >= rules.rejectionSpikeMin && rejected > 0 && rejected / (rejected + accepted) >= rules.rejectionSpikeShare

const rejectionSpike: Rule = ({ inputs, rules }) => {
  const r = inputs.rejections
  const minutes = num(r.windowMs / 60_000)
  const describe = (rejected: number, accepted: number): string =>
    `${rejected} of ${rejected + accepted} objects rejected (${pct((100 * rejected) / (rejected + accepted))}) in the last ${minutes} min`
  const out: Desired[] = []
  if (isSpike(r.rejected, r.accepted, rules)) {
    out.push(
      desired(
        'rejection-spike',
        { kind: 'city', id: CITY },
        `City-wide rejection spike: ${describe(r.rejected, r.accepted)}`,
        { rejected: r.rejected, accepted: r.accepted, windowMs: r.windowMs }
      )
    )
  }
  for (const d of r.byDevice) {
    if (!isSpike(d.rejected, d.accepted, rules)) continue
    out.push(
      desired(
        'rejection-spike',
        { kind: 'device', id: d.deviceId },
        `Device ${d.deviceId} rejection spike: ${describe(d.rejected, d.accepted)}`,
        { rejected: d.rejected, accepted: d.accepted, windowMs: r.windowMs }
      )
    )
  }
  return out
}

/** The spool is full: devices wait for their PUBACKs until InfluxDB takes the backlog. */
function spoolFull({ inputs }: RuleContext): Desired[] {
  const n = inputs.node
  if (!n?.spoolFull) return []
  const mib = (b: number): string => num(b / 2 ** 20)
  return [
    desired(
      'spool-full',
      { kind: 'city', id: CITY },
      `The node's spool is full (${mib(n.spoolUnforwardedBytes)} of ${mib(n.spoolMaxBytes)} MiB not yet in InfluxDB, oldest ${num(n.forwardLagMs / 60_000)} min): devices wait for their acknowledgements until InfluxDB takes the backlog`,
      { unforwardedBytes: n.spoolUnforwardedBytes, maxBytes: n.spoolMaxBytes, forwardLagMs: n.forwardLagMs }
    )
  ]
}

export const RULES: { readonly [T in AlertType]: Rule } = {
  'site-will-not-clear': siteWillNotClear,
  'site-over-capacity': siteOverCapacity,
  'site-stock-after-cutoff': siteStockAfterCutoff,
  'bin-overflow': binOverflow,
  'bin-near-full': binNearFull,
  'vehicle-zone-window': vehicleZoneWindow,
  'vehicle-speeding': vehicleSpeeding,
  'device-offline': deviceOffline,
  'device-low-battery': deviceLowBattery,
  'rejection-spike': rejectionSpike,
  'spool-full': spoolFull
}

/** (type or its family, subject) — at most one open alert per key. */
export const alertKey = (a: { readonly type: AlertType; readonly subject: Pick<Subject, 'kind' | 'id'> }): string =>
  `${FAMILY[a.type]?.name ?? a.type}\u0000${a.subject.kind}\u0000${a.subject.id}`

/** Every alert the views call for at `inputs.now`, one per (type, subject) (the first wins when
 *  a view lists a subject twice). */
export function desiredAlerts(inputs: AlertInputs, rules: AlertRules, tz: string): Desired[] {
  const local = inputs.now + zoneOffsetMs(inputs.now, tz)
  const minuteOfDay = Math.floor((((local % 86_400_000) + 86_400_000) % 86_400_000) / 60_000)
  const ctx: RuleContext = { inputs, rules, tz, today: localDate(inputs.now, tz), minuteOfDay }
  const seen = new Set<string>()
  const out: Desired[] = []
  for (const rule of Object.values(RULES)) {
    for (const d of rule(ctx)) {
      const key = alertKey(d)
      if (seen.has(key)) continue
      seen.add(key)
      out.push(d)
    }
  }
  return out
}
