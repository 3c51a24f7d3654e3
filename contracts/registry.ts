// The registry file: sites, bins, vehicles, the devices that report on them, and the service
// accounts that may read internal topics. Shapes are checked here with zod; relations between
// entries (unique ids, references) are checked by `checkRegistry`, a separate pure function,
// so each problem can name the entry it is about instead of a refinement's anonymous path.
import { z } from 'zod'
import {
  Bin,
  City,
  Device,
  Id,
  REF_FIELD_BY_DEVICE_TYPE,
  REF_FIELDS,
  ServiceAccount,
  Site,
  Token,
  Vehicle,
  type RefField
} from './registryEntities.ts'
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
  rules: Rules.optional()
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

/**
 * One problem of a registry: where (`devices[3].siteId`, `rules.binNeedsServicePct`, `` for the
 * whole file) and what. Callers get these as data — the admin API maps `path` to the field of
 * its request body, the CLI prints one per line — so nobody parses a sentence back.
 */
export const RegistryProblem = z.object({ path: z.string(), message: z.string() })
export type RegistryProblem = z.infer<typeof RegistryProblem>

/** ` (id "wb-ts-lx-01")` — appended to a problem about an entry, so a reader sees which one. */
export function entryId(id: unknown): string {
  return typeof id === 'string' ? ` (id ${JSON.stringify(id)})` : ''
}

/**
 * Relations the schema cannot express. Returns the problems, each with the path of the field
 * it is about; an empty list means the registry is consistent.
 */
export function checkRegistry(registry: Registry): RegistryProblem[] {
  const problems: RegistryProblem[] = []
  const problem = (path: string, message: string): void => {
    problems.push({ path, message })
  }
  const uniqueIds = (collection: string, entries: readonly { id: string }[], seen = new Map<string, string>()) => {
    entries.forEach((e, i) => {
      const first = seen.get(e.id)
      if (first !== undefined) {
        problem(`${collection}[${i}].id`, `duplicate id ${JSON.stringify(e.id)}, already used by ${first}`)
      } else seen.set(e.id, `${collection}[${i}]`)
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
    const first = plates.get(v.plate)
    if (first !== undefined) problem(`vehicles[${i}].plate`, `plate ${v.plate} is already registered to ${first}`)
    else plates.set(v.plate, `vehicles[${i}]${entryId(v.id)}`)
  })

  const targets: Record<RefField, { noun: string; ids: Map<string, string> }> = {
    siteId: { noun: 'site', ids: sites },
    binId: { noun: 'bin', ids: bins },
    vehicleId: { noun: 'vehicle', ids: vehicles }
  }
  registry.devices.forEach((d, i) => {
    const at = `devices[${i}]`
    const id = entryId(d.id)
    const expected = REF_FIELD_BY_DEVICE_TYPE[d.type]
    const present = REF_FIELDS.filter((f) => d[f] !== undefined)
    for (const f of present) {
      if (f !== expected) {
        problem(`${at}.${f}`, `a ${d.type} refers to a ${targets[expected].noun} (${expected}), not ${f}${id}`)
      }
    }
    const ref = d[expected]
    if (ref === undefined) problem(`${at}.${expected}`, `${expected} is required for a ${d.type}${id}`)
    else if (!targets[expected].ids.has(ref)) {
      problem(`${at}.${expected}`, `${targets[expected].noun} ${JSON.stringify(ref)} does not exist${id}`)
    }
  })

  uniqueIds('zones', registry.zones ?? [])
  ;(registry.zones ?? []).forEach((z, i) => {
    const distinct = new Set(z.polygon.map(([lon, lat]) => `${lon},${lat}`))
    if (distinct.size < 3) problem(`zones[${i}].polygon`, `needs at least three distinct points${entryId(z.id)}`)
    z.windows.forEach((w, j) => {
      if (w.from === w.to) {
        problem(
          `zones[${i}].windows[${j}]`,
          `from and to are both ${w.from}; a window must not be empty${entryId(z.id)}`
        )
      }
    })
  })

  const r = resolveRules(registry.rules)
  if (r.binNeedsServicePct > r.binOverflowPct) {
    const message = `binNeedsServicePct (${r.binNeedsServicePct}) must not exceed binOverflowPct (${r.binOverflowPct})`
    problem('rules.binNeedsServicePct', message)
  }
  return problems
}

/** JSON Schema (draft 2020-12) of the registry file, for `qingyun schema` and editors. */
export function registryJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(Registry, { target: 'draft-2020-12', unrepresentable: 'any' }),
    title: 'Qingyun registry v1',
    description:
      'Sites, bins, vehicles, devices and service accounts. Cross-entry rules (unique ids, references matching the device type) are checked by the loader, not by this schema.'
  }
}
