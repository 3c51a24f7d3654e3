// The registry file: sites, bins, vehicles, the devices that report on them, and the service
// accounts that may read internal topics. Shapes are checked here with zod; relations between
// entries (unique ids, references) are checked by `checkRegistry`, a separate pure function,
// so each problem can name the entry it is about instead of a refinement's anonymous path.
import { z } from 'zod'
import type { Kind } from './device/index.ts'
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
})
export type Site = z.infer<typeof Site>

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
