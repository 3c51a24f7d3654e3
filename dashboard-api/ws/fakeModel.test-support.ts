import type { BinView, CitySummary, SiteBalance } from '../../contracts/ops.ts'
import type { BinFilter, Change, Model } from '../model/types.ts'

// A tiny in-memory Model for the pure pieces' unit tests (streams, sessions). The integration
// tests in test/e2e/ws.test.ts use the real model on real InfluxDB and MQTT.

export function bin(binId: string, fillPct: number, extra: Partial<BinView> = {}): BinView {
  const status = fillPct >= 100 ? 'overflow' : fillPct >= 80 ? 'needs-service' : 'ok'
  return {
    binId,
    district: '梁溪',
    stream: 'kitchen',
    lat: 31.5,
    lon: 120.3,
    fillPct,
    lastReadingAt: 0,
    status,
    emptiedToday: 0,
    lastEmptiedAt: null,
    collectedToday: false,
    predictedFullAt: null,
    batteryPct: null,
    ...extra
  }
}

export function fakeModel() {
  const bins = new Map<string, BinView>()
  const inT = new Map<string, number>()
  const listeners = new Set<(c: Change) => void>()
  const emit = (c: Change): void => {
    for (const l of listeners) l(c)
  }
  const balance = (siteId: string): SiteBalance => {
    const t = inT.get(siteId) ?? 0
    return {
      siteId,
      name: siteId,
      type: 'transfer',
      district: '梁溪',
      day: '2025-01-01',
      inT: t,
      outT: 0,
      openingT: 0,
      stockT: t,
      clearancePct: t ? 0 : null,
      capacityPct: t / 4,
      capacityTpd: 400,
      toleranceT: 1,
      cutoff: '20:00',
      cleared: t <= 1,
      ticketsIn: 0,
      ticketsOut: 0,
      lastTicketAt: null,
      projection: { status: 'on-track', projectedInT: t, projectedOutT: 0, projectedStockT: t, overCapacity: false }
    }
  }
  const counts = { total: 0, cleared: 0, onTrack: 0, atRisk: 0, willNotClear: 0, overCapacity: 0, noData: 0 }
  const city = (): CitySummary => {
    const total = [...inT.values()].reduce((a, b) => a + b, 0)
    return {
      day: '2025-01-01',
      simulated: false,
      inT: total,
      outT: 0,
      targetT: 5300,
      targetPct: (total / 5300) * 100,
      paceT: 0,
      dayElapsedPct: 0,
      tonnesPerHour: 0,
      hourly: [],
      sites: { ...counts, total: inT.size },
      sitesByType: { transfer: { ...counts, total: inT.size }, sorting: counts },
      alerts: { critical: 0, warning: 0, info: 0 }
    }
  }
  const notImplemented = (): never => {
    throw new Error('not in the fake model')
  }
  const reads = { city: 0, sites: 0, bins: 0 }
  const model: Model = {
    start: async () => undefined,
    close: async () => undefined,
    ready: () => true,
    today: () => '2025-01-01',
    city: async () => (reads.city++, city()),
    sites: async () => (reads.sites++, [...inT.keys()].sort().map(balance)),
    site: async (id) => (inT.has(id) ? balance(id) : undefined),
    siteHourly: async () => [],
    tickets: notImplemented,
    history: notImplemented,
    recyclables: notImplemented,
    exceptions: notImplemented,
    siteStock: notImplemented,
    track: notImplemented,
    bins: (f: BinFilter = {}) => {
      reads.bins++
      return [...bins.values()].filter(
        (b) =>
          (!f.status || b.status === f.status) &&
          (!f.district || b.district === f.district) &&
          (!f.stream || b.stream === f.stream)
      )
    },
    vehicles: () => [],
    completeness: notImplemented,
    deviceRejections: notImplemented,
    devices: () => [],
    rejectionRate: notImplemented,
    alerts: () => [],
    acknowledge: notImplemented,
    acknowledgeMany: notImplemented,
    onChange(l) {
      listeners.add(l)
      return () => void listeners.delete(l)
    }
  }
  return {
    model,
    reads,
    listeners: () => listeners.size,
    setBin(b: BinView) {
      bins.set(b.binId, b)
      emit({ channel: 'bin', binId: b.binId })
    },
    addTonnes(siteId: string, t: number) {
      inT.set(siteId, (inT.get(siteId) ?? 0) + t)
      emit({ channel: 'site', siteId })
      emit({ channel: 'city' })
    },
    newDay() {
      emit({ channel: 'day' })
    }
  }
}
