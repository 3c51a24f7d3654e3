// Registry entities: sites, bins, vehicles, devices, service accounts and the city, with the
// identifiers and tokens that name them. contracts/registry.ts assembles the file's schema.
import { z } from 'zod'
import type { Kind } from './device/index.ts'
import { Plate } from './plate.ts'
/** MQTT usernames and topic segments: never `/`, `+`, `#` (MQTT wildcards) nor `:`. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
export const Id = z.string().regex(ID_PATTERN, {
  error: 'must be 1-64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit'
})
export type Id = z.infer<typeof Id>

export const District = z.enum(['梁溪', '锡山', '惠山', '滨湖', '新吴', '江阴', '宜兴', '经开区'])
export type District = z.infer<typeof District>

/** `qyd_` (device) or `qys_` (service) + 32 random bytes in base64url (43 characters). */
export const TOKEN_PATTERN = /^qy[ds]_[A-Za-z0-9_-]{43}$/
export const Token = z.string().regex(TOKEN_PATTERN, { error: 'must be a qyd_/qys_ token of 43 base64url characters' })
export type Token = z.infer<typeof Token>

export const TOKEN_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/
export const TokenHash = z
  .string()
  .regex(TOKEN_HASH_PATTERN, { error: 'must be "sha256:" followed by 64 lowercase hex digits' })
export type TokenHash = z.infer<typeof TokenHash>

export { PLATE_PATTERN, Plate } from './plate.ts'

/** WGS-84 degrees (GPS, not the GCJ-02 of Chinese web maps). */
export const Location = z.strictObject({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180)
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
  cutoff: HhMm.optional()
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
  capacityL: z.int().positive()
})
export type Bin = z.infer<typeof Bin>

export const VehicleType = z.enum(['compactor', 'kitchen', 'recyclable', 'hazardous', 'bulky', 'transfer'])
export type VehicleType = z.infer<typeof VehicleType>

export const Vehicle = z.strictObject({
  id: Id,
  plate: Plate,
  type: VehicleType,
  district: District
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
  'gps-tracker': ['position', 'status']
}

/** The kinds a device of this type may publish (the broker's ACL). */
export function kindsForDeviceType(type: DeviceType): readonly MessageKind[] {
  return KINDS_BY_DEVICE_TYPE[type]
}

export type RefField = 'siteId' | 'binId' | 'vehicleId'
export const REF_FIELD_BY_DEVICE_TYPE: { readonly [T in DeviceType]: RefField } = {
  weighbridge: 'siteId',
  'fill-sensor': 'binId',
  'gps-tracker': 'vehicleId'
}
export const REF_FIELDS: readonly RefField[] = ['siteId', 'binId', 'vehicleId']

export const Device = z.strictObject({
  id: Id,
  type: DeviceType,
  /** Exactly one of siteId / binId / vehicleId, matching the type (see checkRegistry). */
  siteId: Id.optional(),
  binId: Id.optional(),
  vehicleId: Id.optional(),
  /** Absent: the device has no credential yet and cannot connect. */
  tokenHash: TokenHash.optional(),
  enabled: z.boolean()
})
export type Device = z.infer<typeof Device>

/** A service account (e.g. dashboard-api) that may subscribe to internal topics. */
export const ServiceAccount = z.strictObject({
  id: Id,
  tokenHash: TokenHash.optional(),
  enabled: z.boolean()
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
  dailyTargetT: z.number().positive()
})
export type City = z.infer<typeof City>
