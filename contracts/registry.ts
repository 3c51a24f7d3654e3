// The registry file: sites, bins, vehicles, the devices that report on them, and the service
// accounts that may read internal topics. Shapes are checked here with zod; relations between
// entries (unique ids, references) are checked by `checkRegistry`, a separate pure function,
// so each problem can name the entry it is about instead of a refinement's anonymous path.
import { z } from 'zod'
import { Bin, City, Device, Id, REF_FIELD_BY_DEVICE_TYPE, REF_FIELDS, ServiceAccount, Site, Token, Vehicle, type RefField } from './registryEntities.ts'
import { Rules, Targets, Zone, resolveRules } from './registryRules.ts'

export * from './registryEntities.ts'
export * from './registryRules.ts'


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
