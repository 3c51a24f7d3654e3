// Targets, zones and rules in the registry, and the admin API's changes to
// them. contracts/registry.ts assembles the file's schema.
import { z } from 'zod'
import { Material } from './device/weighing.ts'
import type { DeviceType } from './registryEntities.ts'
import { HhMm, Id, VehicleType } from './registryEntities.ts'

/** `[lon, lat]`, WGS-84, GeoJSON order. */
export const LonLat = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)])
export type LonLat = z.infer<typeof LonLat>

/**
 * When vehicles of the listed types may be inside a zone: [from, to) local time; a window with
 * from > to spans midnight (22:00-06:00).
 */
export const ZoneWindow = z.strictObject({
  vehicleTypes: z.array(VehicleType).min(1),
  from: HhMm,
  to: HhMm
})
export type ZoneWindow = z.infer<typeof ZoneWindow>

/**
 * A residential compound or old-town area with access rules. A vehicle type not
 * listed in any window is never allowed in the zone; an empty `windows` means no restriction.
 */
export const Zone = z.strictObject({
  id: Id,
  name: z.string().min(1),
  /** One ring, at least three distinct points; closing the ring (last = first) is optional. */
  polygon: z.array(LonLat).min(3),
  windows: z.array(ZoneWindow),
  /** Speed limit inside the zone; default rules.defaultSpeedLimitKmh. */
  speedLimitKmh: z.number().positive().optional()
})
export type Zone = z.infer<typeof Zone>

/** Thresholds of the operations model and alerts. Every field is optional; DEFAULT_RULES fills the gaps. */
export const Rules = z.strictObject({
  /** Bin fill at or above this needs service, %. */
  binNeedsServicePct: z.number().min(0).max(150).optional(),
  /** Bin fill at or above this is overflowing, %. */
  binOverflowPct: z.number().min(0).max(150).optional(),
  /** A fill drop of at least this many points between consecutive readings is an emptying. */
  emptiedDropPct: z.number().positive().max(150).optional(),
  /** Accepted data that arrives more than this after its event time is late, ms. */
  lateAfterMs: z.int().positive().optional(),
  /** A device silent for longer than this is offline, ms, per device type. */
  offlineAfterMs: z
    .strictObject({
      weighbridge: z.int().positive().optional(),
      'fill-sensor': z.int().positive().optional(),
      'gps-tracker': z.int().positive().optional()
    })
    .optional(),
  lowBatteryPct: z.number().min(0).max(100).optional(),
  /** A vehicle at or above this speed is moving, km/h. */
  vehicleMovingKmh: z.number().nonnegative().optional(),
  /** Speed limit outside zones and in zones without their own, km/h. */
  defaultSpeedLimitKmh: z.number().positive().optional(),
  /** Speeding is above the limit plus this share of it, %: GPS speed has an error of a few
   *  km/h, and 30.3 km/h in a 30 km/h zone is not a violation anyone acts on. */
  speedingTolerancePct: z.number().min(0).max(100).optional(),
  /** This many devices of one district going offline at once raise one grouped alert. */
  offlineGroupMin: z.int().min(2).max(10_000).optional()
})
export type Rules = z.infer<typeof Rules>

export interface ResolvedRules {
  readonly binNeedsServicePct: number
  readonly binOverflowPct: number
  readonly emptiedDropPct: number
  readonly lateAfterMs: number
  readonly offlineAfterMs: { readonly [T in DeviceType]: number }
  readonly lowBatteryPct: number
  readonly vehicleMovingKmh: number
  readonly defaultSpeedLimitKmh: number
  readonly speedingTolerancePct: number
  readonly offlineGroupMin: number
}

export const DEFAULT_RULES: ResolvedRules = {
  binNeedsServicePct: 80,
  binOverflowPct: 100,
  emptiedDropPct: 30,
  lateAfterMs: 600_000,
  offlineAfterMs: { weighbridge: 6 * 3_600_000, 'fill-sensor': 3_600_000, 'gps-tracker': 600_000 },
  lowBatteryPct: 20,
  vehicleMovingKmh: 3,
  defaultSpeedLimitKmh: 60,
  speedingTolerancePct: 10,
  offlineGroupMin: 5
}

/** The registry's rules with every default filled in. */
export function resolveRules(rules: Rules | undefined): ResolvedRules {
  const r = rules ?? {}
  const o = r.offlineAfterMs ?? {}
  const d = DEFAULT_RULES
  return {
    binNeedsServicePct: r.binNeedsServicePct ?? d.binNeedsServicePct,
    binOverflowPct: r.binOverflowPct ?? d.binOverflowPct,
    emptiedDropPct: r.emptiedDropPct ?? d.emptiedDropPct,
    lateAfterMs: r.lateAfterMs ?? d.lateAfterMs,
    offlineAfterMs: {
      weighbridge: o.weighbridge ?? d.offlineAfterMs.weighbridge,
      'fill-sensor': o['fill-sensor'] ?? d.offlineAfterMs['fill-sensor'],
      'gps-tracker': o['gps-tracker'] ?? d.offlineAfterMs['gps-tracker']
    },
    lowBatteryPct: r.lowBatteryPct ?? d.lowBatteryPct,
    vehicleMovingKmh: r.vehicleMovingKmh ?? d.vehicleMovingKmh,
    defaultSpeedLimitKmh: r.defaultSpeedLimitKmh ?? d.defaultSpeedLimitKmh,
    speedingTolerancePct: r.speedingTolerancePct ?? d.speedingTolerancePct,
    offlineGroupMin: r.offlineGroupMin ?? d.offlineGroupMin
  }
}

/** Targets beyond the city's daily tonnage. */
export const Targets = z.strictObject({
  /** Recovered tonnes per calendar month per recyclable material (outbound from sorting centres). */
  recyclablesMonthlyT: z.partialRecord(Material, z.number().positive()).optional()
})
export type Targets = z.infer<typeof Targets>

/**
 * One edit of targets and rules through the admin API; `registry/admin.ts`
 * applies it. Entities (sites, devices...) are managed by the CLI, not here.
 */
export const AdminChange = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('set-city-target'), dailyTargetT: z.number().positive() }),
  /** Replaces the monthly recyclable targets; an empty object removes them all. */
  z.strictObject({
    op: z.literal('set-recyclable-targets'),
    recyclablesMonthlyT: z.partialRecord(Material, z.number().positive())
  }),
  /** Sets the given fields of one site; `null` restores a field's default. */
  z.strictObject({
    op: z.literal('set-site'),
    siteId: Id,
    capacityTpd: z.number().positive().optional(),
    toleranceT: z.number().nonnegative().nullable().optional(),
    cutoff: HhMm.nullable().optional()
  }),
  /** Adds the zone, or replaces the zone with the same id. */
  z.strictObject({ op: z.literal('put-zone'), zone: Zone }),
  z.strictObject({ op: z.literal('delete-zone'), zoneId: Id }),
  /** Merges the given thresholds into the rules (offlineAfterMs per device type too); `reset` drops every override first. */
  z.strictObject({ op: z.literal('set-rules'), rules: Rules, reset: z.boolean().optional() })
])
export type AdminChange = z.infer<typeof AdminChange>
