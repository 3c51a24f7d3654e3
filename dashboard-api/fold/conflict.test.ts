// Last write wins by point identity (influx/schema/README.md): a data point sent again with the same
// identity and other content replaces the earlier value in the live fold, exactly as InfluxDB
// overwrites the point, so the numbers after a restart (the rebuild folds only the last write)
// equal the live ones.
import { describe, expect, it } from 'vitest'
import type { ConflictFact, Fact, FillFact, PositionFact, WeighingFact } from '../../contracts/facts.ts'
import { resolveRules, type Registry, type Site } from '../../contracts/registry.ts'
import { binView } from './bins.ts'
import { completenessRows } from './completeness.ts'
import { createFoldState, foldFact, type FoldContext, type FoldState } from './index.ts'
import { recyclablesToday, siteHourlyToday, siteToday, tonnesPerHour } from './sites.ts'
import { vehicleView } from './vehicles.ts'

const TZ = 'Asia/Shanghai'
const D = '2025-03-10'
const D1 = '2025-03-11'
const L = (hhmm: string, day = D): number => Date.parse(`${day}T${hhmm}:00+08:00`)
const ts1: Site = {
  id: 'ts-1',
  name: '转运站',
  type: 'transfer',
  district: '梁溪',
  capacityTpd: 400,
  location: { lat: 31.57, lon: 120.3 }
}
const sc1: Site = {
  id: 'sc-1',
  name: '分拣中心',
  type: 'sorting',
  district: '新吴',
  capacityTpd: 80,
  location: { lat: 31.55, lon: 120.42 }
}
const registry: Registry = {
  version: 1,
  synthetic: true,
  city: { id: 'wuxi', name: '无锡', tz: TZ, dailyTargetT: 5300 },
  sites: [ts1, sc1],
  bins: [{ id: 'bin-1', stream: 'kitchen', district: '梁溪', location: { lat: 31.58, lon: 120.31 }, capacityL: 240 }],
  vehicles: [{ id: 'veh-1', plate: '苏B12345', type: 'compactor', district: '梁溪' }],
  devices: [
    { id: 'wb-1', type: 'weighbridge', siteId: 'ts-1', enabled: true },
    { id: 'wb-2', type: 'weighbridge', siteId: 'sc-1', enabled: true },
    { id: 'fill-1', type: 'fill-sensor', binId: 'bin-1', enabled: true },
    { id: 'gps-1', type: 'gps-tracker', vehicleId: 'veh-1', enabled: true }
  ],
  services: [],
  targets: { recyclablesMonthlyT: { paper: 100 } }
}
const ctx: FoldContext = { tz: TZ, rules: resolveRules(undefined), zones: [] }

const ticket = (ticketId: string, ts: number, netKg: number, extra: Partial<WeighingFact> = {}): WeighingFact => ({
  kind: 'weighing',
  deviceId: 'wb-1',
  ts,
  recvMs: ts + 1000,
  siteId: 'ts-1',
  siteType: 'transfer',
  district: '梁溪',
  ticketId,
  direction: 'in',
  stream: 'residual',
  grossKg: netKg + 10_000,
  tareKg: 10_000,
  netKg,
  plate: '苏B12345',
  ...extra
})
const recyclable = (ticketId: string, ts: number, netKg: number, direction: 'in' | 'out'): WeighingFact =>
  ticket(ticketId, ts, netKg, {
    deviceId: 'wb-2',
    siteId: 'sc-1',
    siteType: 'sorting',
    district: '新吴',
    stream: 'recyclable',
    material: 'paper',
    direction
  })
const fill = (ts: number, fillPct: number, seq: number): FillFact => ({
  kind: 'fill',
  deviceId: 'fill-1',
  ts,
  seq,
  recvMs: ts + 1000,
  binId: 'bin-1',
  binStream: 'kitchen',
  district: '梁溪',
  fillPct
})
const fix = (ts: number, speedKmh: number): PositionFact => ({
  kind: 'position',
  deviceId: 'gps-1',
  ts,
  recvMs: ts + 1000,
  vehicleId: 'veh-1',
  vehicleType: 'compactor',
  lat: 31.6,
  lon: 120.4,
  speedKmh
})
const conflict = (f: WeighingFact, recvMs: number): ConflictFact => ({
  kind: 'conflict',
  deviceId: f.deviceId,
  ts: f.ts,
  recvMs,
  dataKind: 'weighing',
  identity: `weighing,device=${f.deviceId} ${f.ts}000123`,
  ticketId: f.ticketId,
  previous: 'net_kg=1',
  current: 'net_kg=2'
})

function folded(day: string, facts: readonly Fact[]): FoldState {
  const s = createFoldState(day, TZ)
  for (const f of facts) foldFact(s, f, ctx)
  return s
}

/** Every view the fold feeds, without the counts that exist only live (conflicts). */
function views(s: FoldState, now: number) {
  const rows = completenessRows(s.days.get(s.day), s.day, 'device', registry).map(
    ({ conflicts: _c, conflictDetails: _l, duplicates: _d, ...r }) => r
  )
  return {
    sites: registry.sites.map((site) => siteToday(s, site, now)),
    hourly: registry.sites.map((site) => siteHourlyToday(s, site.id, now)),
    recyclables: recyclablesToday(s, registry),
    tph: tonnesPerHour(s, now),
    bin: binView(s, registry.bins[0]!, null, ctx.rules),
    vehicle: vehicleView(s, registry.vehicles[0]!, now, ctx),
    rows
  }
}

describe('a data point rewritten with other content (last write wins)', () => {
  it('replaces a ticket in every site number, as the store does', () => {
    const a = ticket('T-1', L('09:10'), 8000)
    const a2 = { ...a, grossKg: 19_000, netKg: 9000, recvMs: L('09:40') }
    const o = { ...ticket('T-2', L('10:05'), 5000), direction: 'out' as const }
    const o2 = { ...o, grossKg: 13_000, netKg: 3000, recvMs: L('10:30') }
    const r = recyclable('R-1', L('09:30'), 2000, 'out')
    const r2 = { ...r, grossKg: 12_500, netKg: 2500, recvMs: L('10:40') }
    const live = folded(D, [a, o, r, a2, conflict(a2, a2.recvMs), o2, r2, a2])
    const rebuilt = folded(D, [a2, o2, r2])
    expect(views(live, L('10:50'))).toEqual(views(rebuilt, L('10:50')))
    expect(siteToday(live, ts1, L('10:50'))).toMatchObject({ inT: 9, outT: 3, ticketsIn: 1, ticketsOut: 1 })
    expect(completenessRows(live.days.get(D), D, 'device', registry).find((x) => x.key === 'wb-1')).toMatchObject({
      accepted: 2,
      conflicts: 1
    })
  })

  it('replaces a late ticket of an earlier day in the opening stock', () => {
    const late = ticket('T-9', L('23:30'), 6000, { recvMs: L('00:20', D1) })
    const live = folded(D1, [late, { ...late, netKg: 4000, grossKg: 14_000, recvMs: L('00:25', D1) }])
    expect(siteToday(live, ts1, L('00:30', D1)).openingT).toBe(4)
  })

  it('replaces a fill reading and a position fix of the same identity', () => {
    const live = folded(D, [
      fill(L('09:00'), 40, 1),
      fill(L('10:00'), 50, 2),
      fill(L('10:00'), 95, 2),
      fix(L('09:00'), 30),
      fix(L('09:00'), 90)
    ])
    const rebuilt = folded(D, [fill(L('09:00'), 40, 1), fill(L('10:00'), 95, 2), fix(L('09:00'), 90)])
    expect(views(live, L('10:50'))).toEqual(views(rebuilt, L('10:50')))
    expect(binView(live, registry.bins[0]!, null, ctx.rules).fillPct).toBe(95)
  })
})
