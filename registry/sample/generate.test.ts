import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { District, PLATE_PATTERN, Registry, checkRegistry } from '../../contracts/registry.ts'
import type { Location } from '../../contracts/registry.ts'
import { EDGE_MARGIN_M, SAMPLE_PATH, formatSample, generateSample, writeSample } from './generate.ts'
import { distanceToBoundaryM, pointInAny } from './geo.ts'
import { WUXI_OUTLINES } from './outlines.ts'

const committedText = readFileSync(SAMPLE_PATH, 'utf8')
const sample = Registry.parse(JSON.parse(committedText))

describe('the Wuxi sample', () => {
  it('regenerates byte for byte from seed 1', () => {
    expect(formatSample(1) === committedText).toBe(true)
  })

  it('is labelled synthetic in Chinese and English', () => {
    expect(sample.synthetic).toBe(true)
    expect(sample.notice).toMatch(/合成/)
    expect(sample.notice).toMatch(/[Ss]ynthetic/)
    expect(sample.notice).toMatch(/not real facilities/)
    expect(sample.city).toEqual({ id: 'wuxi', name: '无锡', tz: 'Asia/Shanghai', dailyTargetT: 2100 })
  })

  it('has the required counts and ranges', () => {
    const transfer = sample.sites.filter((s) => s.type === 'transfer')
    const sorting = sample.sites.filter((s) => s.type === 'sorting')
    expect(transfer.length).toBeGreaterThanOrEqual(24)
    expect(sorting.length).toBeGreaterThanOrEqual(20)
    for (const s of transfer) {
      expect(s.capacityTpd).toBeGreaterThanOrEqual(100)
      expect(s.capacityTpd).toBeLessThanOrEqual(600)
      expect(s.name).toMatch(/^(.+[区市]|经开区).+转运站$/)
    }
    for (const s of sorting) {
      expect(s.capacityTpd).toBeGreaterThanOrEqual(30)
      expect(s.capacityTpd).toBeLessThanOrEqual(150)
      expect(s.name).toMatch(/一体化收集分拣中心$/)
    }
    expect(sample.bins.length).toBeGreaterThanOrEqual(2000)
    expect(sample.vehicles.length).toBeGreaterThanOrEqual(300)
    expect(new Set(sample.sites.map((s) => s.district))).toEqual(new Set(District.options))
  })

  it('mixes streams with more residual and kitchen bins, and every vehicle type', () => {
    const count = (stream: string) => sample.bins.filter((b) => b.stream === stream).length
    expect(Math.min(count('residual'), count('kitchen'))).toBeGreaterThan(count('recyclable'))
    expect(count('recyclable')).toBeGreaterThan(count('hazardous'))
    expect(count('hazardous')).toBeGreaterThan(0)
    expect(new Set(sample.vehicles.map((v) => v.type)).size).toBe(6)
  })

  it('gives vehicles unique 苏B plates of five characters', () => {
    const plates = sample.vehicles.map((v) => v.plate)
    expect(new Set(plates).size).toBe(plates.length)
    for (const p of plates) {
      expect(p).toMatch(/^苏B[A-HJ-NP-Z0-9]{5}$/)
      expect(PLATE_PATTERN.test(p)).toBe(true)
    }
  })

  it('has one or two weighbridges per site, one fill sensor per bin, one tracker per vehicle, none with a token', () => {
    expect(checkRegistry(sample)).toEqual([])
    const perSite = new Map<string, number>()
    const perBin = new Map<string, number>()
    const perVehicle = new Map<string, number>()
    const bump = (m: Map<string, number>, k: string | undefined) => m.set(k!, (m.get(k!) ?? 0) + 1)
    for (const d of sample.devices) {
      expect(d.tokenHash).toBeUndefined()
      expect(d.enabled).toBe(true)
      if (d.type === 'weighbridge') bump(perSite, d.siteId)
      if (d.type === 'fill-sensor') bump(perBin, d.binId)
      if (d.type === 'gps-tracker') bump(perVehicle, d.vehicleId)
    }
    expect(sample.sites.every((s) => [1, 2].includes(perSite.get(s.id) ?? 0))).toBe(true)
    expect([...perSite.values()].some((n) => n === 2)).toBe(true)
    expect(sample.bins.every((b) => perBin.get(b.id) === 1)).toBe(true)
    expect(sample.vehicles.every((v) => perVehicle.get(v.id) === 1)).toBe(true)
    expect(sample.devices).toHaveLength(
      perSite.size + [...perSite.values()].filter((n) => n === 2).length + sample.bins.length + sample.vehicles.length
    )
  })

  it('places every site and bin inside its own district outline, away from its edge', () => {
    const located: { id: string; district: District; location: Location }[] = [...sample.sites, ...sample.bins]
    const outside = located.filter(
      ({ district, location }) => !pointInAny(location.lon, location.lat, WUXI_OUTLINES.get(district)!)
    )
    expect(outside.map((e) => e.id)).toEqual([])
    for (const { location, district } of located.slice(0, 200)) {
      expect(distanceToBoundaryM(location.lon, location.lat, WUXI_OUTLINES.get(district)!)).toBeGreaterThanOrEqual(
        EDGE_MARGIN_M
      )
    }
    // 经开区 is a hole in 滨湖's outline, so the check above already keeps 滨湖 points out of it;
    // no other district's points fall into it either.
    const others = located.filter((e) => e.district !== '经开区' && e.district !== '滨湖')
    expect(others.filter((e) => pointInAny(e.location.lon, e.location.lat, WUXI_OUTLINES.get('经开区')!))).toEqual([])
  })

  it('depends on the seed, and any seed gives a valid sample', async () => {
    const other = generateSample({ seed: 2 })
    expect(other.bins[0]!.location).not.toEqual(sample.bins[0]!.location)
    expect(checkRegistry(Registry.parse(other))).toEqual([])
    const dir = await mkdtemp(join(tmpdir(), 'qingyun-sample-'))
    try {
      await writeSample(join(dir, 's.json'), 2)
      expect(await readFile(join(dir, 's.json'), 'utf8')).toBe(formatSample(2))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
  it('has old-town and residential zones inside their districts, with night-only compactor windows, and recyclable targets', () => {
    const zones = sample.zones ?? []
    expect(zones.length).toBeGreaterThanOrEqual(3)
    expect(zones.length).toBeLessThanOrEqual(6)
    const districtOf: Record<string, string> = { lx: '梁溪', bh: '滨湖', xw: '新吴', jy: '江阴' }
    for (const z of zones) {
      const d = districtOf[z.id.split('-')[1]!]!
      for (const [lon, lat] of z.polygon)
        expect(pointInAny(lon, lat, WUXI_OUTLINES.get(d as never) ?? []), `${z.id} vertex outside ${d}`).toBe(true)
      const compactor = z.windows.filter((w) => w.vehicleTypes.includes('compactor'))
      expect(compactor.length).toBeGreaterThan(0)
      // Night only: every compactor window spans midnight and ends by 07:00.
      for (const w of compactor) expect(w.from > w.to && w.to <= '07:00').toBe(true)
    }
    expect(Object.keys(sample.targets?.recyclablesMonthlyT ?? {}).length).toBeGreaterThanOrEqual(9)
  })
})
