// The registry file: sites, bins, vehicles, the devices that report on them, and the service
// accounts that may read internal topics. Shapes are checked here with zod; relations between
// entries (unique ids, references) are checked by `checkRegistry`, a separate pure function,
// so each problem can name the entry it is about instead of a refinement's anonymous path.
import { z } from 'zod'
import type { Kind } from './device/index.ts'
import { Material } from './device/weighing.ts'
import { Plate } from './plate.ts'

/** MQTT usernames and topic segments: never `/`, `+`, `#` (MQTT wildcards) nor `:`. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
export const Id = z.string().regex(ID_PATTERN, {
  error: 'must be 1-64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit',
})
export type Id = z.infer<typeof Id>

export const District = z.enum(['梁溪', '锡山', '惠山', '滨湖', '新吴', '江阴', '宜兴', '经开区'])
export type District = z.infer<typeof District>

/** `qyd_` (device) or `qys_` (service) + 32 random bytes in base64url (43 characters). */
export const TOKEN_PATTERN = /^qy[ds]_[A-Za-z0-9_-]{43}$/
export const Token = z.string().regex(TOKEN_PATTERN, { error: 'must be a qyd_/qys_ token of 43 base64url characters' })
export type Token = z.infer<typeof Token>

export const TOKEN_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/
export const TokenHash = z.string().regex(TOKEN_HASH_PATTERN, { error: 'must be "sha256:" followed by 64 lowercase hex digits' })
export type TokenHash = z.infer<typeof TokenHash>

export { PLATE_PATTERN, Plate } from './plate.ts'


/** WGS-84 degrees (GPS, not the GCJ-02 of Chinese web maps). */
export const Location = z.strictObject({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
})
export type Location = z.infer<typeof Location>

/** A local wall-clock time, `HH:MM` (00:00–23:59). */
export const HhMm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'must be a local time HH:MM (00:00-23:59)' })
export type HhMm = z.infer<typeof HhMm>

export const SiteType = z.enum(['transfer', 'sorting'])
export type SiteType = z.infer<typeof SiteType>

export const Site = z.strictObject({
  id: Id,
  name: z.string().min(1),
  type: SiteType,
  district: District,
  /** Design capacity, tonnes per day. */
  capacityTpd: z.number().positive(),
  location: Location,
  /** Stock at or below this counts as cleared, tonnes. Default DEFAULT_TOLERANCE_T (1 t). */
  toleranceT: z.number().nonnegative().optional(),
  /** Local time (QINGYUN_TZ) by which the site should be cleared, HH:MM. Default DEFAULT_CUTOFF ("20:00"). */
  cutoff: HhMm.optional(),
})
export type Site = z.infer<typeof Site>

export const DEFAULT_TOLERANCE_T = 1
export const DEFAULT_CUTOFF = '20:00'

/** Minutes after local midnight of an `HH:MM`. */
export function hhmmMinutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))
}

export const siteToleranceT = (site: Pick<Site, 'toleranceT'>): number => site.toleranceT ?? DEFAULT_TOLERANCE_T
export const siteCutoff = (site: Pick<Site, 'cutoff'>): string => site.cutoff ?? DEFAULT_CUTOFF

export const BinStream = z.enum(['residual', 'kitchen', 'recyclable', 'hazardous'])
export type BinStream = z.infer<typeof BinStream>

export const Bin = z.strictObject({
  id: Id,
  stream: BinStream,
  district: District,
  location: Location,
  capacityL: z.int().positive(),
})
export type Bin = z.infer<typeof Bin>

export const VehicleType = z.enum(['compactor', 'kitchen', 'recyclable', 'hazardous', 'bulky', 'transfer'])
export type VehicleType = z.infer<typeof VehicleType>

export const Vehicle = z.strictObject({
  id: Id,
  plate: Plate,
  type: VehicleType,
  district: District,
})
export type Vehicle = z.infer<typeof Vehicle>

export const DEVICE_TYPES = ['weighbridge', 'fill-sensor', 'gps-tracker'] as const
export const DeviceType = z.enum(DEVICE_TYPES)
export type DeviceType = z.infer<typeof DeviceType>

/** Message kinds on `v1/devices/{deviceId}/{kind}` (defined with the wire contract). */
export { Kind as MessageKind } from './device/index.ts'
type MessageKind = Kind

export const KINDS_BY_DEVICE_TYPE: { readonly [T in DeviceType]: readonly MessageKind[] } = {
  weighbridge: ['weighing', 'status'],
  'fill-sensor': ['fill', 'status'],
  'gps-tracker': ['position', 'status'],
}

/** The kinds a device of this type may publish (the broker's ACL). */
export function kindsForDeviceType(type: DeviceType): readonly MessageKind[] {
  return KINDS_BY_DEVICE_TYPE[type]
}

export type RefField = 'siteId' | 'binId' | 'vehicleId'
export const REF_FIELD_BY_DEVICE_TYPE: { readonly [T in DeviceType]: RefField } = {
  weighbridge: 'siteId',
  'fill-sensor': 'binId',
  'gps-tracker': 'vehicleId',
}
const REF_FIELDS: readonly RefField[] = ['siteId', 'binId', 'vehicleId']

export const Device = z.strictObject({
  id: Id,
  type: DeviceType,
  /** Exactly one of siteId / binId / vehicleId, matching the type (see checkRegistry). */
  siteId: Id.optional(),
  binId: Id.optional(),
  vehicleId: Id.optional(),
  /** Absent: the device has no credential yet and cannot connect. */
  tokenHash: TokenHash.optional(),
  enabled: z.boolean(),
})
export type Device = z.infer<typeof Device>

/** A service account (e.g. dashboard-api) that may subscribe to internal topics. */
export const ServiceAccount = z.strictObject({
  id: Id,
  tokenHash: TokenHash.optional(),
  enabled: z.boolean(),
})
export type ServiceAccount = z.infer<typeof ServiceAccount>

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

export const City = z.strictObject({
  id: Id,
  name: z.string().min(1),
  tz: z.string().refine(isTimeZone, { error: 'must be an IANA time zone such as Asia/Shanghai' }),
  /** Household waste the city must collect and clear per day, tonnes. */
  dailyTargetT: z.number().positive(),
})
export type City = z.infer<typeof City>

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
  to: HhMm,
})
export type ZoneWindow = z.infer<typeof ZoneWindow>

/**
 * A residential compound or old-town area with access rules (issue 3). A vehicle type not
 * listed in any window is never allowed in the zone; an empty `windows` means no restriction.
 */
export const Zone = z.strictObject({
  id: Id,
  name: z.string().min(1),
  /** One ring, at least three distinct points; closing the ring (last = first) is optional. */
  polygon: z.array(LonLat).min(3),
  windows: z.array(ZoneWindow),
  /** Speed limit inside the zone; default rules.defaultSpeedLimitKmh. */
  speedLimitKmh: z.number().positive().optional(),
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
  offlineAfterMs: z.strictObject({
    weighbridge: z.int().positive().optional(),
    'fill-sensor': z.int().positive().optional(),
    'gps-tracker': z.int().positive().optional(),
  }).optional(),
  lowBatteryPct: z.number().min(0).max(100).optional(),
  /** A vehicle at or above this speed is moving, km/h. */
  vehicleMovingKmh: z.number().nonnegative().optional(),
  /** Speed limit outside zones and in zones without their own, km/h. */
  defaultSpeedLimitKmh: z.number().positive().optional(),
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
      'gps-tracker': o['gps-tracker'] ?? d.offlineAfterMs['gps-tracker'],
    },
    lowBatteryPct: r.lowBatteryPct ?? d.lowBatteryPct,
    vehicleMovingKmh: r.vehicleMovingKmh ?? d.vehicleMovingKmh,
    defaultSpeedLimitKmh: r.defaultSpeedLimitKmh ?? d.defaultSpeedLimitKmh,
  }
}

/** Targets beyond the city's daily tonnage. */
export const Targets = z.strictObject({
  /** Recovered tonnes per calendar month per recyclable material (outbound from sorting centres). */
  recyclablesMonthlyT: z.partialRecord(Material, z.number().positive()).optional(),
})
export type Targets = z.infer<typeof Targets>

export const Registry = z.strictObject({
  version: z.literal(1),
  synthetic: z.boolean(),
  notice: z.string().optional(),
  city: City,
  sites: z.array(Site),
  bins: z.array(Bin),
  vehicles: z.array(Vehicle),
  devices: z.array(Device),
  services: z.array(ServiceAccount),
  /** Optional (absent: no recyclable targets). */
  targets: Targets.optional(),
  /** Optional (absent: no zone rules). */
  zones: z.array(Zone).optional(),
  /** Optional (absent: DEFAULT_RULES). */
  rules: Rules.optional(),
})
export type Registry = z.infer<typeof Registry>

/**
 * The credentials file written when a registry is seeded from the sample, read by the device
 * simulator: `{ "deviceId": "token", ... }`. It holds secrets; it is written with mode 0600.
 */
export const Credentials = z.record(Id, Token)
export type Credentials = z.infer<typeof Credentials>

/** The field naming the device's site, bin or vehicle, when exactly one is set. */
export function deviceRef(device: Device): { field: RefField; id: string } | undefined {
  const set = REF_FIELDS.filter((f) => device[f] !== undefined)
  if (set.length !== 1) return undefined
  const field = set[0]!
  return { field, id: device[field]! }
}

/** `devices[17] (id "wb-ts-lx-01")` — how every problem names its entry. */
export function entryLabel(collection: string, index: number, id: unknown): string {
  return typeof id === 'string' ? `${collection}[${index}] (id ${JSON.stringify(id)})` : `${collection}[${index}]`
}

/**
 * Relations the schema cannot express. Returns human-readable problems, each naming the entry;
 * an empty list means the registry is consistent.
 */
export function checkRegistry(registry: Registry): string[] {
  const problems: string[] = []
  const uniqueIds = (collection: string, entries: readonly { id: string }[], seen = new Map<string, string>()) => {
    entries.forEach((e, i) => {
      const label = entryLabel(collection, i, e.id)
      const first = seen.get(e.id)
      if (first !== undefined) problems.push(`${label}: duplicate id, already used by ${first}`)
      else seen.set(e.id, label)
    })
    return seen
  }
  const sites = uniqueIds('sites', registry.sites)
  const bins = uniqueIds('bins', registry.bins)
  const vehicles = uniqueIds('vehicles', registry.vehicles)
  // Devices and services share one namespace: both are MQTT usernames on the same broker.
  uniqueIds('services', registry.services, uniqueIds('devices', registry.devices))

  const plates = new Map<string, string>()
  registry.vehicles.forEach((v, i) => {
    const label = entryLabel('vehicles', i, v.id)
    const first = plates.get(v.plate)
    if (first !== undefined) problems.push(`${label}: plate ${v.plate} is already registered to ${first}`)
    else plates.set(v.plate, label)
  })

  const targets: Record<RefField, { noun: string; ids: Map<string, string> }> = {
    siteId: { noun: 'site', ids: sites },
    binId: { noun: 'bin', ids: bins },
    vehicleId: { noun: 'vehicle', ids: vehicles },
  }
  registry.devices.forEach((d, i) => {
    const label = entryLabel('devices', i, d.id)
    const expected = REF_FIELD_BY_DEVICE_TYPE[d.type]
    const present = REF_FIELDS.filter((f) => d[f] !== undefined)
    for (const f of present) {
      if (f !== expected) problems.push(`${label}: a ${d.type} refers to a ${targets[expected].noun} (${expected}), not ${f}`)
    }
    const ref = d[expected]
    if (ref === undefined) problems.push(`${label}: ${expected} is required for a ${d.type}`)
    else if (!targets[expected].ids.has(ref)) problems.push(`${label}: ${expected} ${JSON.stringify(ref)} does not exist`)
  })

  uniqueIds('zones', registry.zones ?? [])
  ;(registry.zones ?? []).forEach((z, i) => {
    const label = entryLabel('zones', i, z.id)
    const distinct = new Set(z.polygon.map(([lon, lat]) => `${lon},${lat}`))
    if (distinct.size < 3) problems.push(`${label}: polygon needs at least three distinct points`)
    z.windows.forEach((w, j) => {
      if (w.from === w.to) problems.push(`${label}: windows[${j}]: from and to are both ${w.from}; a window must not be empty`)
    })
  })

  const r = resolveRules(registry.rules)
  if (r.binNeedsServicePct > r.binOverflowPct) {
    problems.push(`rules.binNeedsServicePct (${r.binNeedsServicePct}) must not exceed rules.binOverflowPct (${r.binOverflowPct})`)
  }
  return problems
}

/** JSON Schema (draft 2020-12) of the registry file, for `qingyun schema` and editors. */
export function registryJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(Registry, { target: 'draft-2020-12', unrepresentable: 'any' }),
    title: 'Qingyun registry v1',
    description: 'Sites, bins, vehicles, devices and service accounts. Cross-entry rules (unique ids, references matching the device type) are checked by the loader, not by this schema.',
  }
}

/**
 * One edit of targets and rules through the admin API (issue 3 item 1); `registry/admin.ts`
 * applies it. Entities (sites, devices...) are managed by the CLI, not here.
 */
export const AdminChange = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('set-city-target'), dailyTargetT: z.number().positive() }),
  /** Replaces the monthly recyclable targets; an empty object removes them all. */
  z.strictObject({ op: z.literal('set-recyclable-targets'), recyclablesMonthlyT: z.partialRecord(Material, z.number().positive()) }),
  /** Sets the given fields of one site; `null` restores a field's default. */
  z.strictObject({
    op: z.literal('set-site'),
    siteId: Id,
    capacityTpd: z.number().positive().optional(),
    toleranceT: z.number().nonnegative().nullable().optional(),
    cutoff: HhMm.nullable().optional(),
  }),
  /** Adds the zone, or replaces the zone with the same id. */
  z.strictObject({ op: z.literal('put-zone'), zone: Zone }),
  z.strictObject({ op: z.literal('delete-zone'), zoneId: Id }),
  /** Merges the given thresholds into the rules (offlineAfterMs per device type too); `reset` drops every override first. */
  z.strictObject({ op: z.literal('set-rules'), rules: Rules, reset: z.boolean().optional() }),
])
export type AdminChange = z.infer<typeof AdminChange>
