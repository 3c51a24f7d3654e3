import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  DEVICE_TYPES,
  Id,
  Plate,
  Registry,
  checkRegistry,
  deviceRef,
  kindsForDeviceType,
  registryJsonSchema
} from './registry.ts'

const samplePath = new URL('../registry/sample/wuxi.json', import.meta.url)

function tiny(): Registry {
  return {
    version: 1,
    synthetic: true,
    city: { id: 'wuxi', name: '无锡', tz: 'Asia/Shanghai', dailyTargetT: 5300 },
    sites: [
      {
        id: 'ts-lx-01',
        name: '梁溪区扬名转运站',
        type: 'transfer',
        district: '梁溪',
        capacityTpd: 300,
        location: { lat: 31.55, lon: 120.31 }
      }
    ],
    bins: [{ id: 'bin-1', stream: 'kitchen', district: '梁溪', location: { lat: 31.56, lon: 120.3 }, capacityL: 240 }],
    vehicles: [{ id: 'veh-1', plate: '苏B12345', type: 'compactor', district: '梁溪' }],
    devices: [
      { id: 'wb-ts-lx-01', type: 'weighbridge', siteId: 'ts-lx-01', enabled: true },
      { id: 'fs-1', type: 'fill-sensor', binId: 'bin-1', enabled: true },
      { id: 'gps-1', type: 'gps-tracker', vehicleId: 'veh-1', enabled: false }
    ],
    services: [{ id: 'dashboard-api', enabled: true }]
  }
}

describe('registry schema', () => {
  it('accepts the shipped Wuxi sample, and it is cross-consistent', () => {
    const parsed = Registry.parse(JSON.parse(readFileSync(samplePath, 'utf8')))
    expect(parsed.synthetic).toBe(true)
    expect(checkRegistry(parsed)).toEqual([])
  })

  it('accepts a minimal registry', () => {
    expect(Registry.parse(tiny())).toEqual(tiny())
    expect(checkRegistry(tiny())).toEqual([])
  })

  it.each(['a/b', 'a+b', 'a#', 'x:y', '', '-lead', '.lead', 'x'.repeat(65), 'a b', '梁溪'])(
    'rejects the id %j',
    (id) => {
      expect(Id.safeParse(id).success).toBe(false)
    }
  )

  it.each(['a', 'A.b_c-1', 'x'.repeat(64), '0'])('accepts the id %j', (id) => {
    expect(Id.safeParse(id).success).toBe(true)
  })

  it.each(['苏B12345', '苏BD12345', '苏BFA1234', '苏B12345D', '京A9Z8Y7', '苏B1A2B3'])(
    'accepts the plate %s',
    (plate) => {
      expect(Plate.safeParse(plate).success).toBe(true)
    }
  )

  it.each(['苏B1234', '苏B123456', '苏B1234I', '苏BO1234', 'XB12345', '苏b12345', '苏BD1234A'])(
    'rejects the plate %s',
    (plate) => {
      expect(Plate.safeParse(plate).success).toBe(false)
    }
  )

  it('rejects unknown keys, a bad token hash, a bad time zone and a non-integer capacity', () => {
    const r = tiny() as unknown as Record<string, unknown>
    const bad = {
      ...r,
      city: { id: 'wuxi', name: '无锡', tz: 'Asia/Nowhere', dailyTargetT: 5300 },
      bins: [{ ...tiny().bins[0], capacityL: 240.5 }],
      devices: [
        { ...tiny().devices[0], tokenHash: 'sha256:XYZ' },
        { ...tiny().devices[1], siteID: 'x' }
      ]
    }
    const result = Registry.safeParse(bad)
    expect(result.success).toBe(false)
    const paths = result.error!.issues.map((i) => i.path.join('.'))
    expect(paths).toEqual(expect.arrayContaining(['city.tz', 'bins.0.capacityL', 'devices.0.tokenHash', 'devices.1']))
  })
})

describe('checkRegistry', () => {
  it('names the entry of every broken relation', () => {
    const r = tiny()
    r.sites.push({ ...r.sites[0]! })
    r.vehicles.push({ id: 'veh-2', plate: '苏B12345', type: 'bulky', district: '滨湖' })
    r.devices.push(
      { id: 'wb-x', type: 'weighbridge', siteId: 'ts-zz', enabled: true },
      { id: 'fs-2', type: 'fill-sensor', vehicleId: 'veh-1', enabled: true },
      { id: 'gps-2', type: 'gps-tracker', enabled: true },
      { id: 'gps-3', type: 'gps-tracker', vehicleId: 'veh-1', binId: 'bin-1', enabled: true }
    )
    r.services.push({ id: 'fs-1', enabled: true })
    expect(checkRegistry(r)).toEqual([
      { path: 'sites[1].id', message: 'duplicate id "ts-lx-01", already used by sites[0]' },
      { path: 'services[1].id', message: 'duplicate id "fs-1", already used by devices[1]' },
      { path: 'vehicles[1].plate', message: 'plate 苏B12345 is already registered to vehicles[0] (id "veh-1")' },
      { path: 'devices[3].siteId', message: 'site "ts-zz" does not exist (id "wb-x")' },
      { path: 'devices[4].vehicleId', message: 'a fill-sensor refers to a bin (binId), not vehicleId (id "fs-2")' },
      { path: 'devices[4].binId', message: 'binId is required for a fill-sensor (id "fs-2")' },
      { path: 'devices[5].vehicleId', message: 'vehicleId is required for a gps-tracker (id "gps-2")' },
      { path: 'devices[6].binId', message: 'a gps-tracker refers to a vehicle (vehicleId), not binId (id "gps-3")' }
    ])
  })
})

describe('device types', () => {
  it('lists the kinds each type may publish', () => {
    expect(DEVICE_TYPES).toEqual(['weighbridge', 'fill-sensor', 'gps-tracker'])
    expect(kindsForDeviceType('weighbridge')).toEqual(['weighing', 'status'])
    expect(kindsForDeviceType('fill-sensor')).toEqual(['fill', 'status'])
    expect(kindsForDeviceType('gps-tracker')).toEqual(['position', 'status'])
  })

  it('finds the single reference of a device', () => {
    expect(deviceRef({ id: 'a', type: 'weighbridge', siteId: 's', enabled: true })).toEqual({
      field: 'siteId',
      id: 's'
    })
    expect(deviceRef({ id: 'a', type: 'weighbridge', enabled: true })).toBeUndefined()
  })
})

describe('registryJsonSchema', () => {
  it('is draft 2020-12 and carries the id pattern and the district enum', () => {
    const schema = registryJsonSchema() as { $schema: string; required: string[]; properties: Record<string, unknown> }
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
    expect(schema.required).toEqual(
      expect.arrayContaining(['version', 'city', 'sites', 'bins', 'vehicles', 'devices', 'services'])
    )
    const text = JSON.stringify(schema)
    expect(text).toContain(JSON.stringify('^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'))
    expect(text).toContain('经开区')
  })
})
