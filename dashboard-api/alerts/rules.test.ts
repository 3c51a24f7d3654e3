import { describe, expect, it } from 'vitest'
import type { AlertType } from '../../contracts/ops.ts'
import { alertKey, desiredAlerts, num, parseCutoff, RULES as TABLE } from './rules.ts'
import { at, bin, device, inputs, RULES, site, TZ, vehicle } from './test/fixtures.ts'
import type { AlertInputs } from './types.ts'

const types = (i: AlertInputs): AlertType[] => desiredAlerts(i, RULES, TZ).map((d) => d.type)
const only = (i: AlertInputs, type: AlertType) => desiredAlerts(i, RULES, TZ).filter((d) => d.type === type)

describe('desiredAlerts', () => {
  it('raises nothing for healthy views', () => {
    expect(
      desiredAlerts(inputs({ sites: [site()], bins: [bin()], vehicles: [vehicle()], devices: [device()] }), RULES, TZ)
    ).toEqual([])
  })

  it('has one rule per alert type', () => {
    expect(Object.keys(TABLE).sort()).toEqual([
      'bin-near-full',
      'bin-overflow',
      'device-low-battery',
      'device-offline',
      'rejection-spike',
      'site-over-capacity',
      'site-stock-after-cutoff',
      'site-will-not-clear',
      'spool-full',
      'vehicle-speeding',
      'vehicle-zone-window'
    ])
  })

  describe('spool-full', () => {
    const node = {
      spoolFull: true,
      spoolUnforwardedBytes: 1024 ** 3,
      spoolMaxBytes: 1024 ** 3,
      forwardLagMs: 30 * 60_000
    }
    it('opens, critical, for the city while the spool is full, saying what it means for devices', () => {
      const [d] = only(inputs({ node }), 'spool-full')
      expect(d).toMatchObject({
        severity: 'critical',
        subject: { kind: 'city', id: 'city' },
        details: { forwardLagMs: 1_800_000 }
      })
      expect(d!.message).toContain('1024 of 1024 MiB not yet in InfluxDB, oldest 30 min')
    })
    it('stays closed while the spool has room, or when the node reports nothing', () => {
      expect(only(inputs({ node: { ...node, spoolFull: false } }), 'spool-full')).toEqual([])
      expect(only(inputs(), 'spool-full')).toEqual([])
    })
  })

  describe('site-will-not-clear', () => {
    it('opens on a will-not-clear projection, critical, naming the site and the numbers', () => {
      const s = site({
        projection: {
          status: 'will-not-clear',
          projectedInT: 300,
          projectedOutT: 257.9,
          projectedStockT: 42.1,
          overCapacity: false
        }
      })
      const [d] = only(inputs({ sites: [s] }), 'site-will-not-clear')
      expect(d).toMatchObject({ severity: 'critical', subject: { kind: 'site', id: 'ts-lx-01' } })
      expect(d!.message).toBe('梁溪区扬名转运站 will not clear today: projected stock 42.1 t > tolerance 1 t')
      expect(d!.details).toMatchObject({ projectedStockT: 42.1, toleranceT: 1 })
    })
    it('does not open when at risk or on track', () => {
      for (const status of ['at-risk', 'on-track', 'cleared'] as const) {
        expect(types(inputs({ sites: [site({ projection: { ...site().projection, status } })] }))).toEqual([])
      }
    })
  })

  describe('site-over-capacity', () => {
    it('opens when capacity use is above 100 %', () => {
      const [d] = only(inputs({ sites: [site({ inT: 312.6, capacityPct: 104.2 })] }), 'site-over-capacity')
      expect(d).toMatchObject({ severity: 'warning', subject: { kind: 'site', id: 'ts-lx-01' } })
      expect(d!.message).toBe('梁溪区扬名转运站 is over capacity: 312.6 t in today, 104.2 % of 300 t/day')
    })
    it('opens on a projected overrun', () => {
      const [d] = only(
        inputs({ sites: [site({ projection: { ...site().projection, overCapacity: true, projectedInT: 350 } })] }),
        'site-over-capacity'
      )
      expect(d!.message).toBe('梁溪区扬名转运站 will exceed capacity today: projected 350 t in > 300 t/day')
    })
    it('does not open at exactly 100 % or without a capacity', () => {
      expect(types(inputs({ sites: [site({ capacityPct: 100 })] }))).toEqual([])
      expect(types(inputs({ sites: [site({ capacityPct: null })] }))).toEqual([])
    })
  })

  describe('site-stock-after-cutoff (Asia/Shanghai local time)', () => {
    const s = site({ cutoff: '20:00', stockT: 5.25, toleranceT: 1 })
    it('does not open before the cut-off', () => {
      expect(types(inputs({ now: at('2026-06-15T19:59:59'), sites: [s] }))).toEqual([])
    })
    it('opens at and after the cut-off when stock exceeds the tolerance', () => {
      // 20:00 in Wuxi is 12:00 UTC: the rule must not read the UTC clock.
      expect(at('2026-06-15T20:00:00')).toBe(Date.UTC(2026, 5, 15, 12))
      const [d] = only(inputs({ now: at('2026-06-15T20:00:00'), sites: [s] }), 'site-stock-after-cutoff')
      expect(d).toMatchObject({ severity: 'critical', subject: { kind: 'site', id: 'ts-lx-01' } })
      expect(d!.message).toBe('梁溪区扬名转运站 still holds 5.3 t after its 20:00 cut-off (tolerance 1 t)')
      expect(types(inputs({ now: at('2026-06-15T23:59:00'), sites: [s] }))).toContain('site-stock-after-cutoff')
    })
    it('does not open with stock within tolerance', () => {
      expect(types(inputs({ now: at('2026-06-15T21:00:00'), sites: [site({ stockT: 1, toleranceT: 1 })] }))).toEqual([])
    })
    it("compares only today's balance with the clock (after local midnight the day starts over)", () => {
      expect(types(inputs({ now: at('2026-06-16T00:30:00'), sites: [s] }))).toEqual([])
      expect(types(inputs({ now: at('2026-06-16T21:00:00'), sites: [{ ...s, day: '2026-06-16' }] }))).toEqual([
        'site-stock-after-cutoff'
      ])
    })
    it('ignores a malformed cut-off', () => {
      expect(parseCutoff('24:00')).toBeUndefined()
      expect(parseCutoff('07:05')).toBe(425)
      expect(types(inputs({ now: at('2026-06-15T23:00:00'), sites: [site({ cutoff: 'late', stockT: 9 })] }))).toEqual(
        []
      )
    })
  })

  describe('bins', () => {
    it('opens bin-near-full from the threshold up to (not including) overflow', () => {
      expect(types(inputs({ bins: [bin({ fillPct: 79.9 })] }))).toEqual([])
      const [d] = only(inputs({ bins: [bin({ fillPct: 80, status: 'needs-service' })] }), 'bin-near-full')
      expect(d).toMatchObject({ severity: 'warning', subject: { kind: 'bin', id: 'bin-lx-0001' } })
      expect(d!.message).toBe('Bin bin-lx-0001 (梁溪, residual) is nearly full: fill 80 % ≥ 80 %')
      expect(types(inputs({ bins: [bin({ fillPct: 99.9 })] }))).toEqual(['bin-near-full'])
    })
    it('opens bin-overflow (critical) instead of near-full at overflow, in the same family', () => {
      const all = desiredAlerts(inputs({ bins: [bin({ fillPct: 112, status: 'overflow' })] }), RULES, TZ)
      expect(all.map((d) => d.type)).toEqual(['bin-overflow'])
      expect(all[0]).toMatchObject({ severity: 'critical' })
      expect(alertKey(all[0]!)).toBe(alertKey({ type: 'bin-near-full', subject: all[0]!.subject }))
      expect(all[0]!.message).toBe('Bin bin-lx-0001 (梁溪, residual) is overflowing: fill 112 %')
      expect(types(inputs({ bins: [bin({ fillPct: 100 })] }))).toEqual(['bin-overflow'])
    })
    it('raises nothing for a bin without data', () => {
      expect(types(inputs({ bins: [bin({ fillPct: null, status: 'no-data' })] }))).toEqual([])
    })
  })

  describe('vehicles', () => {
    it('opens vehicle-zone-window and vehicle-speeding from the view flags', () => {
      const v = vehicle({ zoneId: 'zone-lx-res-1', zoneWindowViolation: true, speeding: true, speedKmh: 52.4 })
      const ds = desiredAlerts(inputs({ vehicles: [v] }), RULES, TZ)
      expect(ds.map((d) => [d.type, d.severity, d.subject.id])).toEqual([
        ['vehicle-zone-window', 'warning', 'veh-001'],
        ['vehicle-speeding', 'warning', 'veh-001']
      ])
      expect(ds[0]!.message).toBe(
        'Vehicle 苏B12345 (compactor) is in zone zone-lx-res-1 outside its allowed time window'
      )
      expect(ds[1]!.message).toBe(
        'Vehicle 苏B12345 (compactor) is over the speed limit in zone zone-lx-res-1: 52.4 km/h'
      )
    })
  })

  describe('devices', () => {
    it('opens device-offline for enabled devices only', () => {
      const d = device({ offline: true, lastSeenAt: Date.UTC(2026, 5, 15, 1) })
      expect(only(inputs({ devices: [d] }), 'device-offline')[0]!.message).toBe(
        'Device fs-0001 (fill-sensor, bin-lx-0001) is offline: last seen 2026-06-15T01:00:00.000Z'
      )
      expect(types(inputs({ devices: [{ ...d, enabled: false }] }))).toEqual([])
    })
    it('opens device-low-battery (info) strictly below the threshold', () => {
      expect(types(inputs({ devices: [device({ batteryPct: 20 })] }))).toEqual([])
      expect(types(inputs({ devices: [device({ batteryPct: null })] }))).toEqual([])
      const [d] = only(inputs({ devices: [device({ batteryPct: 19.5 })] }), 'device-low-battery')
      expect(d).toMatchObject({ severity: 'info', subject: { kind: 'device', id: 'fs-0001' } })
      expect(d!.message).toBe('Device fs-0001 (fill-sensor, bin-lx-0001) battery is low: 19.5 % < 20 %')
    })
  })

  describe('rejection-spike', () => {
    it('opens per device and city-wide when both the count and the share reach their thresholds', () => {
      const rejections = {
        windowMs: 300_000,
        accepted: 30,
        rejected: 14,
        byDevice: [
          { deviceId: 'wb-01', accepted: 10, rejected: 10 }, // 10 ≥ 10 and 50 % ≥ 20 %
          { deviceId: 'wb-02', accepted: 0, rejected: 4 }, // share 100 % but only 4 < 10
          { deviceId: 'wb-03', accepted: 20, rejected: 0 }
        ]
      }
      const ds = only(inputs({ rejections }), 'rejection-spike')
      expect(ds.map((d) => d.subject)).toEqual([
        { kind: 'city', id: 'city' },
        { kind: 'device', id: 'wb-01' }
      ])
      expect(ds[0]!.message).toBe('City-wide rejection spike: 14 of 44 objects rejected (31.8 %) in the last 5 min')
      expect(ds[1]!.message).toBe('Device wb-01 rejection spike: 10 of 20 objects rejected (50 %) in the last 5 min')
    })
    it('does not open when many are rejected but they are a small share', () => {
      expect(
        types(
          inputs({
            rejections: {
              windowMs: 300_000,
              accepted: 1000,
              rejected: 50,
              byDevice: [{ deviceId: 'wb-01', accepted: 100, rejected: 24 }]
            }
          })
        )
      ).toEqual([])
    })
  })

  it('de-duplicates a subject listed twice', () => {
    const d = device({ offline: true })
    expect(types(inputs({ devices: [d, d] }))).toEqual(['device-offline'])
  })

  it('formats numbers with at most one decimal', () => {
    expect([num(1), num(42.14), num(42.15), num(0.04)]).toEqual(['1', '42.1', '42.2', '0'])
  })
})

describe('device-offline: seen and went silent, grouped per district', () => {
  const districtOf = (id: string): string | undefined => (id.startsWith('lx-') ? '梁溪' : '锡山')
  const off = (id: string) => device({ deviceId: id, offline: true, lastSeenAt: at('2026-06-15T09:00:00') })
  it('never raises for a device never heard from', () => {
    expect(types(inputs({ devices: [device({ offline: true, lastSeenAt: null })] }))).toEqual([])
  })
  it('one grouped alert for a district with offlineGroupMin or more offline, single alerts below it', () => {
    const many = ['lx-1', 'lx-2', 'lx-3', 'lx-4', 'lx-5', 'lx-6'].map(off)
    const few = ['xs-1', 'xs-2'].map(off)
    const all = desiredAlerts(inputs({ devices: [...many, ...few], districtOf }), RULES, TZ)
    expect(all.map((d) => `${d.subject.kind}:${d.subject.id}`)).toEqual(['district:梁溪', 'device:xs-1', 'device:xs-2'])
    expect(all[0]).toMatchObject({ type: 'device-offline', details: { count: 6, district: '梁溪' } })
    expect(all[0]!.members?.map((m) => m.id)).toEqual(['lx-1', 'lx-2', 'lx-3', 'lx-4', 'lx-5', 'lx-6'])
  })
  it("groups a site's devices silent together under the site, after the district groups", () => {
    const siteOf = (id: string): string | undefined =>
      id.startsWith('xs-wb') ? 'ts-xs-01' : id.startsWith('lx-wb') ? 'ts-lx-01' : undefined
    const lx = ['lx-1', 'lx-2', 'lx-3', 'lx-4', 'lx-wb-1'].map(off)
    const xs = ['xs-wb-1', 'xs-wb-2', 'xs-3'].map(off)
    const all = desiredAlerts(inputs({ devices: [...lx, ...xs], districtOf, siteOf }), RULES, TZ)
    // 梁溪 has five (its weighbridge is in the district's group); 锡山's two weighbridges are
    // one alert for their site; the third device of 锡山 stays alone.
    expect(all.map((d) => `${d.subject.kind}:${d.subject.id}`)).toEqual([
      'district:梁溪',
      'site:ts-xs-01',
      'device:xs-3'
    ])
    expect(all[1]).toMatchObject({ type: 'device-offline', details: { count: 2, site: 'ts-xs-01' } })
    expect(all[1]!.members?.map((m) => m.id)).toEqual(['xs-wb-1', 'xs-wb-2'])
    // One silent weighbridge of a site is the device's own alert.
    const one = desiredAlerts(inputs({ devices: [off('xs-wb-1')], districtOf, siteOf }), RULES, TZ)
    expect(one.map((d) => `${d.subject.kind}:${d.subject.id}`)).toEqual(['device:xs-wb-1'])
  })
})
