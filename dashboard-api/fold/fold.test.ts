// The day fold against hand-computed cases. Times are Asia/Shanghai (UTC+8):
// L('23:50') is 23:50 local on 2025-03-10, i.e. 15:50Z.
import { describe, expect, it } from 'vitest'
import type {
  DuplicateFact,
  Fact,
  FillFact,
  PositionFact,
  RejectionFact,
  StatusFact,
  WeighingFact
} from '../../contracts/facts.ts'
import {
  resolveRules,
  type Bin,
  type Device,
  type Registry,
  type Site,
  type Vehicle,
  type Zone
} from '../../contracts/registry.ts'
import { binView } from './bins.ts'
import { completenessRows } from './completeness.ts'
import { deviceView } from './devices.ts'
import { createFoldState, foldFact, rollover, type FoldContext } from './index.ts'
import { pointKey } from './state.ts'
import { outboundNeededKg, profileShare, projectSite, stockAheadKg } from './projection.ts'
import { recyclablesToday, siteHourlyToday, siteToday, tonnesPerHour } from './sites.ts'
import { vehicleView } from './vehicles.ts'

const TZ = 'Asia/Shanghai'
const D = '2025-03-10'
const D1 = '2025-03-11'
const L = (hhmm: string, day = D): number => Date.parse(`${day}T${hhmm}:00+08:00`)

const site: Site = {
  id: 'ts-1',
  name: '测试转运站',
  type: 'transfer',
  district: '梁溪',
  capacityTpd: 400,
  location: { lat: 31.57, lon: 120.3 }
}
const sorting: Site = {
  id: 'sc-1',
  name: '测试分拣中心',
  type: 'sorting',
  district: '新吴',
  capacityTpd: 80,
  location: { lat: 31.55, lon: 120.42 }
}
const bin: Bin = {
  id: 'bin-1',
  stream: 'kitchen',
  district: '梁溪',
  location: { lat: 31.58, lon: 120.31 },
  capacityL: 240
}
const vehicle: Vehicle = { id: 'veh-1', plate: '苏B12345', type: 'compactor', district: '梁溪' }
const oldTown: Zone = {
  id: 'z-old',
  name: '老城区',
  speedLimitKmh: 30,
  polygon: [
    [120.29, 31.57],
    [120.31, 31.57],
    [120.31, 31.59],
    [120.29, 31.59]
  ],
  windows: [{ vehicleTypes: ['compactor'], from: '22:00', to: '06:00' }]
}
const devices: Device[] = [
  { id: 'wb-1', type: 'weighbridge', siteId: 'ts-1', enabled: true },
  { id: 'wb-2', type: 'weighbridge', siteId: 'sc-1', enabled: true },
  { id: 'fill-1', type: 'fill-sensor', binId: 'bin-1', enabled: true },
  { id: 'gps-1', type: 'gps-tracker', vehicleId: 'veh-1', enabled: true }
]
const registry: Registry = {
  version: 1,
  synthetic: true,
  city: { id: 'wuxi', name: '无锡', tz: TZ, dailyTargetT: 5300 },
  sites: [site, sorting],
  bins: [bin],
  vehicles: [vehicle],
  devices,
  services: [],
  zones: [oldTown],
  targets: { recyclablesMonthlyT: { paper: 100 } }
}
const ctx: FoldContext = { tz: TZ, rules: resolveRules(undefined), zones: [oldTown] }

let n = 0
const ticket = (ts: number, netKg: number, extra: Partial<WeighingFact> = {}): WeighingFact => ({
  kind: 'weighing',
  deviceId: 'wb-1',
  ts,
  recvMs: ts + 1000,
  siteId: 'ts-1',
  siteType: 'transfer',
  district: '梁溪',
  ticketId: `T-${++n}`,
  direction: 'in',
  stream: 'residual',
  grossKg: netKg + 10_000,
  tareKg: 10_000,
  netKg,
  plate: '苏B12345',
  ...extra
})
const fill = (ts: number, fillPct: number, extra: Partial<FillFact> = {}): FillFact => ({
  kind: 'fill',
  deviceId: 'fill-1',
  ts,
  recvMs: ts + 1000,
  binId: 'bin-1',
  binStream: 'kitchen',
  district: '梁溪',
  fillPct,
  ...extra
})
const fix = (ts: number, lon: number, lat: number, speedKmh: number): PositionFact => ({
  kind: 'position',
  deviceId: 'gps-1',
  ts,
  recvMs: ts + 1000,
  vehicleId: 'veh-1',
  vehicleType: 'compactor',
  lat,
  lon,
  speedKmh
})

function fold(state: ReturnType<typeof createFoldState>, ...facts: Fact[]): void {
  for (const f of facts) foldFact(state, f, ctx)
}

describe('site balances', () => {
  it('counts a ticket on the local day of its event time across midnight, and carries the closing stock', () => {
    const s = createFoldState(D, TZ)
    s.openingKg.set('ts-1', 5000)
    // 23:50 on D is 15:50Z; 00:10 on D+1 is 16:10Z: the same UTC day, two local days.
    fold(s, ticket(L('23:50'), 8000), ticket(L('23:55'), 3000, { direction: 'out' }), ticket(L('00:10', D1), 7000))
    const today = siteToday(s, site, L('23:59'))
    expect(today).toMatchObject({
      day: D,
      inT: 8,
      outT: 3,
      openingT: 5,
      stockT: 10,
      ticketsIn: 1,
      ticketsOut: 1,
      clearancePct: 23.1,
      capacityPct: 2,
      cleared: false
    })
    expect(siteHourlyToday(s, 'ts-1', L('23:59'))[23]).toMatchObject({ hour: 23, inT: 8, outT: 3, start: L('23:00') })
    rollover(s, D1, ctx)
    expect(siteToday(s, site, L('00:20', D1))).toMatchObject({
      day: D1,
      inT: 7,
      outT: 0,
      openingT: 10,
      stockT: 17,
      ticketsIn: 1
    })
    expect(siteHourlyToday(s, 'ts-1', L('00:20', D1))[0]!.inT).toBe(7)
  })

  it('counts a late ticket on its own day: after midnight it moves the opening stock, not today', () => {
    const s = createFoldState(D1, TZ)
    s.openingKg.set('ts-1', 2000)
    const late = ticket(L('23:30'), 6000, { recvMs: L('00:20', D1) })
    const r = foldFact(s, late, ctx)
    expect(r.pastDay).toBe(true)
    expect(siteToday(s, site, L('00:30', D1))).toMatchObject({ inT: 0, openingT: 8, stockT: 8 })
    // The same late ticket again moves nothing.
    foldFact(s, { ...late, recvMs: L('00:25', D1) }, ctx)
    expect(siteToday(s, site, L('00:30', D1)).openingT).toBe(8)
    expect(completenessRows(s.days.get(D1), D1, 'device', registry).find((r) => r.key === 'wb-1')).toMatchObject({
      accepted: 0,
      late: 0
    })
  })

  it('counts a retransmitted ticket once, and a late ticket of today as late', () => {
    const s = createFoldState(D, TZ)
    const t = ticket(L('08:00'), 8120, { seq: 1 })
    const dup: DuplicateFact = {
      kind: 'duplicate',
      deviceId: 'wb-1',
      ts: t.ts,
      recvMs: L('08:30'),
      seq: 1,
      dataKind: 'weighing',
      identity: 'weighing,... 1',
      ticketId: t.ticketId
    }
    fold(s, t, { ...t, recvMs: L('08:30') }, dup, dup, ticket(L('09:00'), 1000, { seq: 2, recvMs: L('09:11') }))
    expect(siteToday(s, site, L('10:00'))).toMatchObject({ inT: 9.12, ticketsIn: 2 })
    // The retransmission 30 min later makes the first ticket late too (InfluxDB keeps the later recv_ms).
    expect(completenessRows(s.days.get(D), D, 'device', registry).find((r) => r.key === 'wb-1')).toMatchObject({
      accepted: 2,
      duplicates: 1,
      late: 2,
      missing: 0
    })
  })

  it('a day with no data: zeros, the opening carried, cleared once past the cut-off', () => {
    const s = createFoldState(D, TZ)
    s.openingKg.set('ts-1', 500)
    expect(siteToday(s, site, L('10:00'))).toMatchObject({
      inT: 0,
      outT: 0,
      openingT: 0.5,
      stockT: 0.5,
      clearancePct: 0,
      capacityPct: 0,
      cleared: true,
      lastTicketAt: null,
      projection: { status: 'on-track', projectedStockT: 0.5 }
    })
    expect(siteToday(s, sorting, L('21:00'))).toMatchObject({
      inT: 0,
      openingT: 0,
      clearancePct: null,
      cleared: true,
      projection: { status: 'cleared' }
    })
    expect(completenessRows(s.days.get(D), D, 'site', registry)).toEqual([
      {
        day: D,
        key: 'ts-1',
        by: 'site',
        accepted: 0,
        rejected: {},
        rejectedTotal: 0,
        duplicates: 0,
        conflicts: 0,
        late: 0,
        missing: 0
      },
      {
        day: D,
        key: 'sc-1',
        by: 'site',
        accepted: 0,
        rejected: {},
        rejectedTotal: 0,
        duplicates: 0,
        conflicts: 0,
        late: 0,
        missing: 0
      }
    ])
    // At 10:00, hours 00–10 are reached and empty (0 t); 11–23 are not reached yet: null, not 0.
    const hourly = siteHourlyToday(s, 'ts-1', L('10:00'))
    expect(hourly.slice(0, 11).every((h) => h.inT === 0 && h.outT === 0)).toBe(true)
    expect(hourly.slice(11).every((h) => h.inT === null && h.outT === null)).toBe(true)
  })

  it('tonnes per hour over the last 60 minutes, across midnight', () => {
    const s = createFoldState(D, TZ)
    fold(s, ticket(L('23:10'), 4000), ticket(L('23:40'), 5000), ticket(L('23:50'), 1000, { direction: 'out' }))
    rollover(s, D1, ctx)
    fold(s, ticket(L('00:05', D1), 2000))
    expect(tonnesPerHour(s, L('00:30', D1))).toBe(7)
  })

  it('tonnes per hour: out-of-order tickets count, tickets an hour older than the newest are forgotten', () => {
    const s = createFoldState(D, TZ)
    fold(s, ticket(L('10:00'), 1000), ticket(L('10:50'), 2000), ticket(L('10:20'), 4000))
    expect(tonnesPerHour(s, L('10:55'))).toBe(7)
    fold(s, ticket(L('11:40'), 8000))
    // (10:40, 11:40]: 10:50 and 11:40; 10:00 is forgotten.
    expect(tonnesPerHour(s, L('11:40'))).toBe(10)
    expect([...s.recentIn.values()].map(([ts]) => ts)).not.toContain(L('10:00'))
    // A ticket older than an hour before the newest is not remembered at all.
    fold(s, ticket(L('10:30'), 16_000))
    expect(tonnesPerHour(s, L('11:40'))).toBe(10)
    expect([...s.recentIn.values()].map(([ts]) => ts)).not.toContain(L('10:30'))
  })

  it('recyclables by material, sorting yield and month to date', () => {
    const s = createFoldState(D, TZ)
    s.mtdBeforeKg.set('paper', 40_000)
    const rec = (ts: number, kg: number, direction: 'in' | 'out', material: 'paper' | 'glass') =>
      ticket(ts, kg, {
        deviceId: 'wb-2',
        siteId: 'sc-1',
        siteType: 'sorting',
        stream: 'recyclable',
        material,
        direction
      })
    fold(
      s,
      rec(L('09:00'), 10_000, 'in', 'paper'),
      rec(L('10:00'), 2000, 'in', 'glass'),
      rec(L('15:00'), 9000, 'out', 'paper')
    )
    const r = recyclablesToday(s, registry)
    expect(r.byMaterial.find((m) => m.material === 'paper')).toEqual({ material: 'paper', inT: 10, outT: 9 })
    expect(r.sortingYield).toEqual([{ siteId: 'sc-1', inT: 12, outT: 9, yieldPct: 75 }])
    expect(r.monthToDate.find((m) => m.material === 'paper')).toEqual({
      material: 'paper',
      t: 49,
      targetT: 100,
      pct: 49
    })
    expect(r.monthToDate.find((m) => m.material === 'glass')).toEqual({
      material: 'glass',
      t: 0,
      targetT: null,
      pct: null
    })
    // Rolling over into the next month starts the month to date again.
    const e = createFoldState('2025-03-31', TZ)
    e.mtdBeforeKg.set('paper', 40_000)
    rollover(e, '2025-04-01', ctx)
    expect(e.mtdBeforeKg.size).toBe(0)
  })
})

describe('projection', () => {
  it('projects inbound by the profile share and outbound by the recent rate until the cut-off', () => {
    // By 12:00 the profile expects 58 % of the day's inbound: 200 t → 344.828 t.
    expect(profileShare(12 * 3_600_000)).toBeCloseTo(0.58, 10)
    const base = {
      openingKg: 10_000,
      inKg: 200_000,
      outKg: 150_000,
      dayStart: L('00:00'),
      dayEnd: L('00:00', D1),
      cutoffMs: L('20:00'),
      now: L('12:00'),
      capacityTpd: 400,
      toleranceT: 1
    }
    // The cut-off is 20:00: by then the profile expects 91 % of the day, so 344.828 × (0.91 − 0.58)
    // = 113.793 t more arrive before it; the stock now is 10 + 200 − 150 = 60 t.
    // 60 t out in the last two hours: 30 t/h × 8 h = 240 t more, more than the site will have
    // (173.793 t): empty at the cut-off.
    expect(
      projectSite({
        ...base,
        outTickets: [
          [L('10:30'), 30_000],
          [L('11:30'), 30_000],
          [L('09:00'), 90_000]
        ]
      })
    ).toEqual({
      status: 'on-track',
      projectedInT: 344.828,
      projectedOutT: 323.793,
      projectedStockT: 0,
      overCapacity: false
    })
    // 10 t in the last two hours: 5 t/h × 8 h → 40 t out, 60 + 113.793 − 40 = 133.793 t left at the
    // cut-off. Still 60 + 113.793 − 1 = 172.793 t to ship in 8 h: 21.6 t/h, within the feasible
    // 400 t / 10 h = 40 t/h → at risk, not lost.
    expect(projectSite({ ...base, outTickets: [[L('11:00'), 10_000]] })).toEqual({
      status: 'at-risk',
      projectedInT: 344.828,
      projectedOutT: 190,
      projectedStockT: 133.793,
      overCapacity: false
    })
    expect(outboundNeededKg({ ...base, outTickets: [[L('11:00'), 10_000]] })).toBeCloseTo(172_793.1, 0)
    // The stock chart's projection passes through the same number at the cut-off, and starts from now.
    expect(stockAheadKg({ ...base, outTickets: [[L('11:00'), 10_000]] }, L('20:00'))).toBeCloseTo(133_793.1, 0)
    expect(stockAheadKg({ ...base, outTickets: [[L('11:00'), 10_000]] }, L('12:00'))).toBe(60_000)
    // 25 t/h → 200 t out by the cut-off: empty, on track.
    expect(projectSite({ ...base, outTickets: [[L('11:00'), 50_000]] }).status).toBe('on-track')
    // At 18:00 the profile expects 85 %: 200 t → 235.294 t, 14.118 t more by 20:00; 5 t/h × 2 h →
    // 10 t out, 64.118 t left; 73.118 t to ship in 2 h needs 36.6 t/h ≤ 40 t/h feasible → at risk.
    expect(projectSite({ ...base, now: L('18:00'), outTickets: [[L('17:00'), 10_000]] })).toEqual({
      status: 'at-risk',
      projectedInT: 235.294,
      projectedOutT: 160,
      projectedStockT: 64.118,
      overCapacity: false
    })
    // With 120 t in stock at 18:00, 133.118 t in 2 h is beyond 40 t/h → will not clear.
    expect(projectSite({ ...base, outKg: 90_000, now: L('18:00'), outTickets: [[L('17:00'), 10_000]] }).status).toBe(
      'will-not-clear'
    )
    // A few night tickets do not extrapolate past capacity: 12 t by 02:30 (share floored at 15 %) → 80 t.
    expect(
      projectSite({ ...base, openingKg: 0, inKg: 12_000, outKg: 0, now: L('02:30'), outTickets: [] })
    ).toMatchObject({ status: 'at-risk', projectedInT: 80, overCapacity: false })
    // Over capacity: 260 t by noon projects 448 t against 400 t/day.
    expect(projectSite({ ...base, inKg: 260_000, outTickets: [] }).overCapacity).toBe(true)
    // After the cut-off only the stock counts.
    expect(projectSite({ ...base, now: L('20:30'), outTickets: [] })).toMatchObject({
      status: 'will-not-clear',
      projectedStockT: 60
    })
  })
})

describe('bins', () => {
  it('takes the latest fill by event time and finds emptyings among out-of-order readings', () => {
    const s = createFoldState(D, TZ)
    const rules = ctx.rules
    fold(s, fill(L('10:00'), 50), fill(L('09:00'), 40), fill(L('11:00'), 20))
    // 40 → 50 → 20: one drop of 30 at 11:00.
    expect(binView(s, bin, null, rules)).toMatchObject({
      fillPct: 20,
      lastReadingAt: L('11:00'),
      status: 'ok',
      emptiedToday: 1,
      lastEmptiedAt: L('11:00'),
      collectedToday: true
    })
    // A reading arriving late slots in: 40 → 50 → 90 → 20: still one drop (90 → 20).
    fold(s, fill(L('10:30'), 90, { recvMs: L('12:00') }))
    expect(binView(s, bin, null, rules)).toMatchObject({ fillPct: 20, emptiedToday: 1, lastEmptiedAt: L('11:00') })
    // 40 → 50 → 90 → 10 → 20: the drop is now at 10:45, and 10 → 20 is filling.
    fold(s, fill(L('10:45'), 10))
    expect(binView(s, bin, null, rules)).toMatchObject({ fillPct: 20, emptiedToday: 1, lastEmptiedAt: L('10:45') })
    // The same reading again changes nothing.
    fold(s, fill(L('10:45'), 10))
    expect(binView(s, bin, null, rules).emptiedToday).toBe(1)
  })

  it('flags thresholds and predicts the time to full from the fill rate since the last emptying', () => {
    const s = createFoldState(D, TZ)
    fold(s, fill(L('06:00'), 95), fill(L('07:00'), 10), fill(L('08:00'), 30), fill(L('09:00'), 50))
    // 10 → 50 over two hours: 20 %/h; 50 more points to 100 % → 11:30.
    expect(binView(s, bin, 77, ctx.rules)).toMatchObject({
      status: 'ok',
      predictedFullAt: L('11:30'),
      batteryPct: 77,
      emptiedToday: 1
    })
    fold(s, fill(L('10:00'), 85))
    expect(binView(s, bin, null, ctx.rules).status).toBe('needs-service')
    fold(s, fill(L('10:30'), 104))
    expect(binView(s, bin, null, ctx.rules)).toMatchObject({ status: 'overflow', predictedFullAt: null })
    // Yesterday's last reading pairs with today's first: emptied counts today.
    const t = createFoldState(D, TZ)
    fold(t, fill(L('22:00', '2025-03-09'), 90), fill(L('06:00'), 5))
    expect(binView(t, bin, null, ctx.rules)).toMatchObject({ emptiedToday: 1, fillPct: 5 })
    expect(binView(createFoldState(D, TZ), bin, null, ctx.rules)).toMatchObject({
      status: 'no-data',
      fillPct: null,
      emptiedToday: 0,
      predictedFullAt: null
    })
  })
})

describe('vehicles', () => {
  it('flags a compactor in an old-town zone outside its night window, and speeding over the zone limit', () => {
    const s = createFoldState(D, TZ)
    fold(
      s,
      fix(L('13:50'), 120.28, 31.58, 40), // outside: 40 ≤ 60 default
      fix(L('14:00'), 120.3, 31.58, 25), // inside at 14:00: compactors only 22:00-06:00
      fix(L('14:01'), 120.3, 31.581, 35), // still inside (same episode), now over 30 km/h
      fix(L('14:10'), 120.28, 31.58, 20), // out
      fix(L('23:00'), 120.3, 31.58, 10) // back in, inside its window
    )
    expect(vehicleView(s, vehicle, L('23:01'), ctx)).toMatchObject({
      state: 'moving',
      zoneId: 'z-old',
      zoneWindowViolation: false,
      speeding: false,
      zoneViolationsToday: 1,
      speedViolationsToday: 1,
      lastFixAt: L('23:00')
    })
    const t = createFoldState(D, TZ)
    fold(t, fix(L('14:00'), 120.3, 31.58, 0))
    expect(vehicleView(t, vehicle, L('14:05'), ctx)).toMatchObject({
      state: 'idle',
      zoneWindowViolation: true,
      zoneViolationsToday: 1
    })
    // Ten minutes without a fix: offline, and no current violation is claimed.
    expect(vehicleView(t, vehicle, L('14:11'), ctx)).toMatchObject({ state: 'offline', zoneWindowViolation: false })
    expect(vehicleView(createFoldState(D, TZ), vehicle, L('14:11'), ctx)).toMatchObject({ state: 'no-data', lat: null })
  })

  it('speeding allows the tolerance over the limit: 30.3 in a 30 zone is not speeding, 33.1 is', () => {
    const s = createFoldState(D, TZ)
    fold(s, fix(L('23:00'), 120.3, 31.58, 30.3))
    expect(vehicleView(s, vehicle, L('23:00'), ctx)).toMatchObject({ speeding: false, speedViolationsToday: 0 })
    fold(s, fix(L('23:01'), 120.3, 31.58, 33))
    expect(vehicleView(s, vehicle, L('23:01'), ctx)).toMatchObject({ speeding: false, speedViolationsToday: 0 })
    fold(s, fix(L('23:02'), 120.3, 31.58, 33.1))
    expect(vehicleView(s, vehicle, L('23:02'), ctx)).toMatchObject({ speeding: true, speedViolationsToday: 1 })
    // A rule of 0 % tolerance makes the limit itself the threshold.
    const strict: FoldContext = { ...ctx, rules: resolveRules({ speedingTolerancePct: 0 }) }
    const t = createFoldState(D, TZ)
    foldFact(t, fix(L('23:00'), 120.3, 31.58, 30.3), strict)
    expect(vehicleView(t, vehicle, L('23:00'), strict)).toMatchObject({ speeding: true })
  })

  it('keeps the latest position by event time when fixes arrive out of order', () => {
    const s = createFoldState(D, TZ)
    fold(s, fix(L('10:05'), 120.25, 31.5, 0), fix(L('10:00'), 120.2, 31.5, 50))
    expect(vehicleView(s, vehicle, L('10:06'), ctx)).toMatchObject({ lon: 120.25, state: 'idle' })
  })
})

describe('devices and completeness', () => {
  it('counts data without seq once per kind and event time; a later copy can make it late', () => {
    const s = createFoldState(D, TZ)
    const status = (ts: number, recvMs: number): StatusFact => ({
      kind: 'status',
      deviceId: 'fill-1',
      ts,
      recvMs,
      deviceType: 'fill-sensor',
      batteryPct: 61,
      rssiDbm: -80,
      firmware: 'fw-2'
    })
    fold(
      s,
      fill(L('10:00'), 10),
      fill(L('10:00'), 10, { recvMs: L('22:00') }),
      status(L('10:00'), L('10:00')),
      fill(L('10:05'), 11),
      status(L('10:00'), L('10:01'))
    )
    const row = completenessRows(s.days.get(D), D, 'device', registry).find((r) => r.key === 'fill-1')
    expect(row).toMatchObject({ accepted: 3, late: 1 })
    expect(pointKey('fill', L('10:00'), s.start)).not.toBe(pointKey('status', L('10:00'), s.start))
    expect(pointKey('fill', L('10:00') + 0.5, s.start)).toBe(`fill|${L('10:00') + 0.5}`)
  })

  it('counts missing by seq gaps, rejections on their event day, and last seen by event time', () => {
    const s = createFoldState(D, TZ)
    const rej = (seq: number, ts?: number): RejectionFact => ({
      kind: 'rejection',
      deviceId: 'fill-1',
      recvMs: L('12:00'),
      code: 'INGEST_E_SCHEMA',
      msgKind: 'fill',
      topic: 'v1/devices/fill-1/fill',
      seq,
      error: 'fillPct: too big',
      excerpt: `{"seq":${seq}}`,
      ...(ts === undefined ? {} : { ts })
    })
    const status: StatusFact = {
      kind: 'status',
      deviceId: 'fill-1',
      ts: L('11:00'),
      recvMs: L('11:00'),
      seq: 9,
      deviceType: 'fill-sensor',
      batteryPct: 61,
      rssiDbm: -80,
      firmware: 'fw-2'
    }
    fold(
      s,
      fill(L('10:00'), 10, { seq: 1, batteryPct: 70 }),
      fill(L('10:10'), 11, { seq: 2 }),
      fill(L('10:20'), 12, { seq: 5 }),
      rej(3, L('10:15')),
      rej(3, L('10:15')),
      status,
      fill(L('10:20'), 12, { seq: 5, recvMs: L('10:21') }),
      // A rejection of yesterday's reading counts on yesterday, not today.
      rej(4, L('23:00', '2025-03-09'))
    )
    // seqs 1, 2, 3 (rejected), 5, 9 → 4, 6, 7, 8 missing.
    expect(completenessRows(s.days.get(D), D, 'device', registry).find((r) => r.key === 'fill-1')).toEqual({
      day: D,
      key: 'fill-1',
      by: 'device',
      accepted: 4,
      rejected: { INGEST_E_SCHEMA: 1 },
      rejectedTotal: 1,
      duplicates: 0,
      conflicts: 0,
      late: 0,
      missing: 4
    })
    expect(deviceView(s, devices[2]!, L('11:30'), ctx.rules)).toEqual({
      deviceId: 'fill-1',
      type: 'fill-sensor',
      ref: 'bin-1',
      enabled: true,
      lastSeenAt: L('11:00'),
      offline: false,
      batteryPct: 61,
      rssiDbm: -80,
      firmware: 'fw-2'
    })
    expect(deviceView(s, devices[2]!, L('12:01'), ctx.rules).offline).toBe(true)
    // An older status arriving later does not replace the newer battery reading.
    fold(s, { ...status, ts: L('09:00'), seq: 0, batteryPct: 99 })
    expect(deviceView(s, devices[2]!, L('11:30'), ctx.rules).batteryPct).toBe(61)
  })
})
