// A small city cut from a registry (e.g. the Wuxi sample) for tests and quick demos: a few
// sites, bins and trucks of one district, with the devices that report on them.
import type { Registry, Vehicle } from '../../contracts/registry.ts'

export interface SubsetOptions {
  readonly district?: string
  readonly transfer?: number
  readonly sorting?: number
  readonly bins?: number
  /** Truck types in the order they are picked (repeat a type to get two). */
  readonly vehicleTypes?: readonly Vehicle['type'][]
}

export function subsetRegistry(r: Registry, o: SubsetOptions = {}): Registry {
  const district = o.district ?? '梁溪'
  const sites = [
    ...r.sites.filter((s) => s.district === district && s.type === 'transfer').slice(0, o.transfer ?? 2),
    ...r.sites.filter((s) => s.district === district && s.type === 'sorting').slice(0, o.sorting ?? 1)
  ]
  const bins = r.bins.filter((b) => b.district === district).slice(0, o.bins ?? 30)
  const left = r.vehicles.filter((v) => v.district === district)
  const vehicles: Vehicle[] = []
  for (const type of o.vehicleTypes ?? ['compactor', 'compactor', 'kitchen', 'recyclable', 'hazardous', 'transfer']) {
    const v = left.find((x) => x.type === type) ?? r.vehicles.find((x) => x.type === type && !vehicles.includes(x))
    if (v) {
      vehicles.push(v)
      left.splice(left.indexOf(v), 1)
    }
  }
  const ids = new Set([...sites, ...bins, ...vehicles].map((x) => x.id))
  const devices = r.devices.filter((d) => ids.has(d.siteId ?? d.binId ?? d.vehicleId ?? ''))
  return { ...r, sites, bins, vehicles: vehicles.map((v) => ({ ...v, district: v.district })), devices, services: [] }
}
