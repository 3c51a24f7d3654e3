import { describe, expect, it } from 'vitest'
import {
  checkRegistry,
  resolveRules,
  siteCutoff,
  siteToleranceT,
  type Registry,
  type Zone
} from '../contracts/registry.ts'
import { testRegistry } from '../test/fixtures/registry.ts'
import { applyAdminChange } from './admin.ts'

const base = (): Registry => testRegistry().registry
const ok = (r: ReturnType<typeof applyAdminChange>): Registry => {
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join('\n'))
  expect(checkRegistry(r.registry)).toEqual([])
  return r.registry
}
const zone = (extra: Partial<Zone> = {}): Zone => ({
  id: 'z-old-town',
  name: '老城区',
  polygon: [
    [120.29, 31.56],
    [120.31, 31.56],
    [120.31, 31.58],
    [120.29, 31.58]
  ],
  windows: [{ vehicleTypes: ['compactor'], from: '22:00', to: '06:00' }],
  speedLimitKmh: 30,
  ...extra
})

describe('applyAdminChange', () => {
  it('sets the city target and leaves the input untouched', () => {
    const r = base()
    const next = ok(applyAdminChange(r, { op: 'set-city-target', dailyTargetT: 5500 }))
    expect(next.city.dailyTargetT).toBe(5500)
    expect(r.city.dailyTargetT).toBe(5300)
  })

  it('replaces monthly recyclable targets, and removes them with an empty object', () => {
    const next = ok(
      applyAdminChange(base(), { op: 'set-recyclable-targets', recyclablesMonthlyT: { paper: 1200, steel: 300 } })
    )
    expect(next.targets).toEqual({ recyclablesMonthlyT: { paper: 1200, steel: 300 } })
    expect(
      ok(applyAdminChange(next, { op: 'set-recyclable-targets', recyclablesMonthlyT: {} })).targets
    ).toBeUndefined()
    expect(applyAdminChange(next, { op: 'set-recyclable-targets', recyclablesMonthlyT: { gold: 1 } })).toMatchObject({
      ok: false
    })
  })

  it('sets a site capacity, tolerance and cut-off; null restores the default', () => {
    const next = ok(
      applyAdminChange(base(), { op: 'set-site', siteId: 'ts-1', capacityTpd: 450, toleranceT: 2.5, cutoff: '21:30' })
    )
    const site = next.sites.find((s) => s.id === 'ts-1')!
    expect(site).toMatchObject({ capacityTpd: 450, toleranceT: 2.5, cutoff: '21:30' })
    const reset = ok(
      applyAdminChange(next, { op: 'set-site', siteId: 'ts-1', toleranceT: null, cutoff: null })
    ).sites.find((s) => s.id === 'ts-1')!
    expect([siteToleranceT(reset), siteCutoff(reset), reset.capacityTpd]).toEqual([1, '20:00', 450])
  })

  it('names the field of a bad value or an unknown site', () => {
    expect(applyAdminChange(base(), { op: 'set-site', siteId: 'ts-1', cutoff: '24:00' })).toEqual({
      ok: false,
      problems: [{ path: 'cutoff', message: 'must be a local time HH:MM (00:00-23:59)' }]
    })
    expect(applyAdminChange(base(), { op: 'set-site', siteId: 'nope', capacityTpd: 1 })).toEqual({
      ok: false,
      problems: [{ path: 'siteId', message: 'no site "nope"' }]
    })
    expect(applyAdminChange(base(), { op: 'set-city-target', dailyTargetT: -1 })).toMatchObject({
      ok: false,
      problems: [{ path: 'dailyTargetT' }]
    })
    expect(applyAdminChange(base(), { op: 'explode' })).toMatchObject({ ok: false })
  })

  it('puts, replaces and deletes a zone', () => {
    const one = ok(applyAdminChange(base(), { op: 'put-zone', zone: zone() }))
    expect(one.zones).toEqual([zone()])
    const two = ok(applyAdminChange(one, { op: 'put-zone', zone: zone({ windows: [] }) }))
    expect(two.zones).toEqual([zone({ windows: [] })])
    expect(ok(applyAdminChange(two, { op: 'delete-zone', zoneId: 'z-old-town' })).zones).toEqual([])
    expect(applyAdminChange(two, { op: 'delete-zone', zoneId: 'z-x' })).toEqual({
      ok: false,
      problems: [{ path: 'zoneId', message: 'no zone "z-x"' }]
    })
  })

  it('refuses a zone the registry check refuses, naming the zone', () => {
    const degenerate = zone({
      polygon: [
        [120.3, 31.5],
        [120.3, 31.5],
        [120.4, 31.6]
      ]
    })
    expect(applyAdminChange(base(), { op: 'put-zone', zone: degenerate })).toEqual({
      ok: false,
      problems: [{ path: 'zone.polygon', message: 'needs at least three distinct points (id "z-old-town")' }]
    })
    const empty = zone({ windows: [{ vehicleTypes: ['compactor'], from: '08:00', to: '08:00' }] })
    expect(applyAdminChange(base(), { op: 'put-zone', zone: empty })).toMatchObject({
      ok: false,
      problems: [{ path: 'zone.windows[0]' }]
    })
    expect(
      applyAdminChange(base(), {
        op: 'put-zone',
        zone: { ...zone(), windows: [{ vehicleTypes: ['tank'], from: '01:00', to: '02:00' }] }
      })
    ).toMatchObject({ ok: false, problems: [{ path: 'zone.windows[0].vehicleTypes[0]' }] })
  })

  it('merges rules, per device type too, and resets them', () => {
    const a = ok(
      applyAdminChange(base(), {
        op: 'set-rules',
        rules: { binNeedsServicePct: 75, offlineAfterMs: { 'gps-tracker': 300_000 } }
      })
    )
    const b = ok(applyAdminChange(a, { op: 'set-rules', rules: { offlineAfterMs: { weighbridge: 3_600_000 } } }))
    expect(resolveRules(b.rules)).toMatchObject({
      binNeedsServicePct: 75,
      binOverflowPct: 100,
      offlineAfterMs: { weighbridge: 3_600_000, 'fill-sensor': 3_600_000, 'gps-tracker': 300_000 }
    })
    expect(ok(applyAdminChange(b, { op: 'set-rules', rules: {}, reset: true })).rules).toBeUndefined()
    expect(applyAdminChange(base(), { op: 'set-rules', rules: { binNeedsServicePct: 120 } })).toEqual({
      ok: false,
      problems: [
        { path: 'rules.binNeedsServicePct', message: 'binNeedsServicePct (120) must not exceed binOverflowPct (100)' }
      ]
    })
  })
})
