// Hand-made views for the alert tests: everything healthy unless a test says otherwise.
import type { BinView, DeviceView, RejectionRate, SiteBalance, VehicleView } from '../../../contracts/ops.ts'
import type { AlertInputs, AlertRules } from '../types.ts'

export const TZ = 'Asia/Shanghai'
export const at = (local: string): number => Date.parse(`${local}+08:00`)

export const RULES: AlertRules = {
  binNearFullPct: 80,
  binOverflowPct: 100,
  lowBatteryPct: 20,
  rejectionSpikeMin: 10,
  rejectionSpikeShare: 0.2,
  offlineGroupMin: 5
}

export function site(over: Partial<SiteBalance> = {}): SiteBalance {
  return {
    siteId: 'ts-lx-01',
    name: '梁溪区扬名转运站',
    type: 'transfer',
    district: '梁溪',
    day: '2026-06-15',
    inT: 120,
    outT: 110,
    openingT: 0,
    stockT: 10,
    clearancePct: 91.7,
    capacityPct: 40,
    capacityTpd: 300,
    toleranceT: 1,
    cutoff: '20:00',
    cleared: false,
    ticketsIn: 30,
    ticketsOut: 12,
    lastTicketAt: null,
    projection: { status: 'on-track', projectedInT: 200, projectedOutT: 200, projectedStockT: 0, overCapacity: false },
    ...over
  }
}

export function bin(over: Partial<BinView> = {}): BinView {
  return {
    binId: 'bin-lx-0001',
    district: '梁溪',
    stream: 'residual',
    lat: 31.57,
    lon: 120.3,
    fillPct: 40,
    lastReadingAt: at('2026-06-15T18:00:00'),
    status: 'ok',
    emptiedToday: 0,
    lastEmptiedAt: null,
    collectedToday: false,
    predictedFullAt: null,
    batteryPct: 90,
    ...over
  }
}

export function vehicle(over: Partial<VehicleView> = {}): VehicleView {
  return {
    vehicleId: 'veh-001',
    plate: '苏B12345',
    type: 'compactor',
    district: '梁溪',
    lat: 31.57,
    lon: 120.3,
    speedKmh: 30,
    headingDeg: 90,
    lastFixAt: at('2026-06-15T18:00:00'),
    state: 'moving',
    zoneId: null,
    zoneWindowViolation: false,
    speeding: false,
    zoneViolationsToday: 0,
    speedViolationsToday: 0,
    ...over
  }
}

export function device(over: Partial<DeviceView> = {}): DeviceView {
  return {
    deviceId: 'fs-0001',
    type: 'fill-sensor',
    ref: 'bin-lx-0001',
    enabled: true,
    lastSeenAt: at('2026-06-15T18:00:00'),
    offline: false,
    batteryPct: 80,
    rssiDbm: -70,
    firmware: '1.2.0',
    ...over
  }
}

export const noRejections: RejectionRate = { windowMs: 300_000, accepted: 1000, rejected: 0, byDevice: [] }

export function inputs(over: Partial<AlertInputs> = {}): AlertInputs {
  const now = over.now ?? at('2026-06-15T12:00:00')
  return { now, day: '2026-06-15', sites: [], bins: [], vehicles: [], devices: [], rejections: noRejections, ...over }
}
