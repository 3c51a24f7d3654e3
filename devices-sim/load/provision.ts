// Load devices live in the registry like any other (the broker authenticates them the same
// way): `sim provision` replaces every `load-…` entity with N fresh ones — a load site for the
// weighbridges, one bin per fill sensor, one vehicle per tracker — and fresh tokens. A running
// broker picks the file up by its hot reload.
import type { Bin, Device, Registry, Site, Vehicle } from '../../contracts/registry.ts'
import { DEVICE_TOKEN_PREFIX, generateToken, hashToken } from '../../registry/tokens.ts'
import { isLoadEntity } from '../city/day.ts'
import { PREFIX_OF_TYPE, splitDevices, type Mix } from './mix.ts'

const pad = (i: number): string => String(i).padStart(5, '0')

export function provisionLoad(
  registry: Registry,
  n: number,
  mix: Mix
): { registry: Registry; credentials: Record<string, string> } {
  if (n > 99_999) throw new Error('--devices: at most 99,999 load devices')
  const split = splitDevices(n, mix)
  const plates = new Set(registry.vehicles.filter((v) => !isLoadEntity(v.id)).map((v) => v.plate))
  const site: Site = {
    id: 'load-site-1',
    name: '压测虚拟转运站 (load test)',
    type: 'transfer',
    district: '梁溪',
    capacityTpd: 100_000,
    location: { lat: 31.57, lon: 120.3 }
  }
  const bins: Bin[] = []
  const vehicles: Vehicle[] = []
  const devices: Device[] = []
  const credentials: Record<string, string> = {}
  const add = (d: Omit<Device, 'tokenHash' | 'enabled'>): void => {
    const token = generateToken(DEVICE_TOKEN_PREFIX)
    credentials[d.id] = token
    devices.push({ ...d, tokenHash: hashToken(token), enabled: true })
  }
  for (let i = 1; i <= split.weighbridge; i++)
    add({ id: `${PREFIX_OF_TYPE.weighbridge}${pad(i)}`, type: 'weighbridge', siteId: site.id })
  for (let i = 1; i <= split['fill-sensor']; i++) {
    bins.push({
      id: `load-bin-${pad(i)}`,
      stream: 'residual',
      district: '梁溪',
      location: { lat: 31.5 + (i % 100) / 1000, lon: 120.25 + Math.floor(i / 100) / 1000 },
      capacityL: 240
    })
    add({ id: `${PREFIX_OF_TYPE['fill-sensor']}${pad(i)}`, type: 'fill-sensor', binId: `load-bin-${pad(i)}` })
  }
  let p = 0
  for (let i = 1; i <= split['gps-tracker']; i++) {
    let plate: string
    do plate = `苏Z${pad(++p)}`
    while (plates.has(plate))
    vehicles.push({ id: `load-veh-${pad(i)}`, plate, type: 'compactor', district: '梁溪' })
    add({ id: `${PREFIX_OF_TYPE['gps-tracker']}${pad(i)}`, type: 'gps-tracker', vehicleId: `load-veh-${pad(i)}` })
  }
  const keep = <T extends { id: string }>(xs: readonly T[]): T[] => xs.filter((x) => !isLoadEntity(x.id))
  return {
    registry: {
      ...registry,
      sites: [...keep(registry.sites), ...(split.weighbridge > 0 ? [site] : [])],
      bins: [...keep(registry.bins), ...bins],
      vehicles: [...keep(registry.vehicles), ...vehicles],
      devices: [...keep(registry.devices), ...devices]
    },
    credentials
  }
}
