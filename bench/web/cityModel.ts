// A synthetic, in-memory Model of the whole sample city (48 sites, 2,400 bins, 320 vehicles,
// zones), changing at a chosen rate: a load generator for the web page's benchmark
// (bench/web.ts) and for looking at the page by hand. Not the operations model and not used by
// tests: the numbers it shows are invented, not folded from telemetry.
import type { Alert, BinView, CitySummary, HourPoint, SiteBalance, VehicleView } from '../../contracts/ops.ts'
import type { Registry } from '../../contracts/registry.ts'
import { localDate } from '../../lib/time.ts'
import { siteCounts } from '../../dashboard-api/fold/sites.ts'
import type { Change, Model } from '../../dashboard-api/model/types.ts'
import { mulberry32 } from '../../lib/prng.ts'

export interface CityModel extends Model {
  /** One step of the city: vehicles move, some bins fill, a few tickets arrive. */
  step(): void
  /** Changes emitted so far. */
  changes(): number
}

export function createCityModel(
  registry: Registry,
  opts: {
    tz?: string
    bins?: number
    vehicles?: number
    seed?: number
    binsPerStep?: number
    ticketsPerStep?: number
  } = {}
): CityModel {
  const tz = opts.tz ?? 'Asia/Shanghai'
  const rnd = mulberry32(opts.seed ?? 1)
  const listeners = new Set<(c: Change) => void>()
  let changes = 0
  const emit = (c: Change): void => {
    changes++
    for (const l of listeners) l(c)
  }
  const today = (): string => localDate(Date.now(), tz)
  const r3 = (x: number): number => Math.round(x * 1000) / 1000
  const r1 = (x: number): number => Math.round(x * 10) / 10

  const sites = new Map(
    registry.sites.map((s) => [
      s.id,
      {
        s,
        inT: 0,
        outT: 0,
        openingT: r3(s.capacityTpd * 0.05 * rnd()),
        ticketsIn: 0,
        ticketsOut: 0,
        lastTicketAt: null as number | null,
        hourly: new Map<number, HourPoint>()
      }
    ])
  )
  const bins = new Map<string, BinView>(
    registry.bins.slice(0, opts.bins ?? registry.bins.length).map((b) => [
      b.id,
      {
        binId: b.id,
        district: b.district,
        stream: b.stream,
        lat: b.location.lat,
        lon: b.location.lon,
        fillPct: r1(rnd() * 95),
        lastReadingAt: Date.now(),
        status: 'ok',
        emptiedToday: 0,
        lastEmptiedAt: null,
        collectedToday: false,
        predictedFullAt: null,
        batteryPct: 90
      }
    ])
  )
  const byDistrict = new Map<string, BinView[]>()
  for (const b of bins.values()) byDistrict.set(b.district, [...(byDistrict.get(b.district) ?? []), b])
  const vehicles = new Map<string, VehicleView & { target: BinView }>()
  for (const v of registry.vehicles.slice(0, opts.vehicles ?? registry.vehicles.length)) {
    const pool = byDistrict.get(v.district) ?? [...bins.values()]
    const start = pool[Math.floor(rnd() * pool.length)]!
    vehicles.set(v.id, {
      vehicleId: v.id,
      plate: v.plate,
      type: v.type,
      district: v.district,
      lat: start.lat,
      lon: start.lon,
      speedKmh: 0,
      headingDeg: 0,
      lastFixAt: Date.now(),
      state: 'moving',
      zoneId: null,
      zoneWindowViolation: false,
      speeding: false,
      zoneViolationsToday: 0,
      speedViolationsToday: 0,
      target: pool[Math.floor(rnd() * pool.length)]!
    })
  }
  const alerts = new Map<string, Alert>()
  const status = (fill: number | null): BinView['status'] =>
    fill === null ? 'no-data' : fill >= 100 ? 'overflow' : fill >= 80 ? 'needs-service' : 'ok'
  for (const b of bins.values()) b.status = status(b.fillPct)

  const balance = (id: string): SiteBalance | undefined => {
    const x = sites.get(id)
    if (!x) return undefined
    const { s } = x
    const stockT = r3(x.openingT + x.inT - x.outT)
    const tol = Math.max(1, s.capacityTpd * 0.02)
    const projectedStockT = r3(stockT * 0.3)
    const st =
      stockT <= tol
        ? 'cleared'
        : projectedStockT <= tol
          ? 'on-track'
          : projectedStockT <= tol * 3
            ? 'at-risk'
            : 'will-not-clear'
    return {
      siteId: id,
      name: s.name,
      type: s.type,
      district: s.district,
      day: today(),
      inT: r3(x.inT),
      outT: r3(x.outT),
      openingT: x.openingT,
      stockT,
      clearancePct: x.openingT + x.inT > 0 ? r1((100 * x.outT) / (x.openingT + x.inT)) : null,
      capacityPct: r1((100 * x.inT) / s.capacityTpd),
      capacityTpd: s.capacityTpd,
      toleranceT: tol,
      cutoff: '20:00',
      cleared: stockT <= tol,
      ticketsIn: x.ticketsIn,
      ticketsOut: x.ticketsOut,
      lastTicketAt: x.lastTicketAt,
      projection: {
        status: st,
        projectedInT: r3(x.inT * 1.5),
        projectedOutT: r3(x.outT * 1.5),
        projectedStockT,
        overCapacity: x.inT * 1.5 > s.capacityTpd
      }
    }
  }
  const hourlyOf = (xs: Iterable<Map<number, HourPoint>>): HourPoint[] => {
    const m = new Map<number, HourPoint>()
    for (const h of xs)
      for (const p of h.values()) {
        const q = m.get(p.hour) ?? { hour: p.hour, start: p.start, inT: 0, outT: 0 }
        m.set(p.hour, { ...q, inT: r3((q.inT ?? 0) + (p.inT ?? 0)), outT: r3((q.outT ?? 0) + (p.outT ?? 0)) })
      }
    return [...m.values()].sort((a, b) => a.hour - b.hour)
  }
  const city = (): CitySummary => {
    const all = [...sites.keys()].map((id) => balance(id)!)
    const inT = r3(all.reduce((a, s) => a + s.inT, 0))
    const open = [...alerts.values()].filter((a) => a.state === 'open')
    return {
      day: today(),
      simulated: true,
      inT,
      outT: r3(all.reduce((a, s) => a + s.outT, 0)),
      targetT: registry.city.dailyTargetT,
      targetPct: r1((100 * inT) / registry.city.dailyTargetT),
      paceT: registry.city.dailyTargetT / 2,
      dayElapsedPct: 50,
      tonnesPerHour: r3(inT / 10),
      hourly: hourlyOf([...sites.values()].map((x) => x.hourly)),
      sites: siteCounts(all),
      sitesByType: {
        transfer: siteCounts(all.filter((s) => s.type === 'transfer')),
        sorting: siteCounts(all.filter((s) => s.type === 'sorting'))
      },
      alerts: {
        critical: open.filter((a) => a.severity === 'critical').length,
        warning: open.filter((a) => a.severity === 'warning').length,
        info: open.filter((a) => a.severity === 'info').length
      }
    }
  }
  const zones = registry.zones ?? []
  const inZone = (lon: number, lat: number): string | null => {
    for (const z of zones) {
      let inside = false
      const p = z.polygon
      for (let i = 0, j = p.length - 1; i < p.length; j = i++) {
        const [xi, yi] = p[i]!
        const [xj, yj] = p[j]!
        if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside
      }
      if (inside) return z.id
    }
    return null
  }

  return {
    start: async () => undefined,
    ready: () => true,
    close: async () => undefined,
    today,
    city: async () => city(),
    sites: async () => [...sites.keys()].map((id) => balance(id)!),
    site: async (id) => balance(id),
    siteHourly: async (id) => hourlyOf(sites.has(id) ? [sites.get(id)!.hourly] : []),
    history: async () => [],
    tickets: async () => [],
    recyclables: async (day) => ({ day: day ?? today(), byMaterial: [], sortingYield: [], monthToDate: [] }),
    exceptions: async (day) => ({ day: day ?? today(), at: Date.now(), items: [] }),
    siteStock: async () => undefined,
    track: async () => undefined,
    bins: (f = {}) =>
      [...bins.values()].filter(
        (b) =>
          (!f.status || b.status === f.status) &&
          (!f.district || b.district === f.district) &&
          (!f.stream || b.stream === f.stream)
      ),
    vehicles: (f = {}) =>
      [...vehicles.values()]
        .filter(
          (v) =>
            (!f.state || v.state === f.state) &&
            (!f.district || v.district === f.district) &&
            (!f.type || v.type === f.type)
        )
        .map(({ target: _t, ...v }) => v),
    completeness: async () => [],
    deviceRejections: async (deviceId, day) => ({ deviceId, day, items: [], nextCursor: null }),
    devices: () => [],
    rejectionRate: () => ({ windowMs: 300_000, accepted: 0, rejected: 0, byDevice: [] }),
    alerts: (f = {}) =>
      [...alerts.values()].filter(
        (a) => (!f.state || a.state === f.state) && (!f.severity || a.severity === f.severity)
      ),
    async acknowledge(id, by, now = Date.now()) {
      const a = alerts.get(id)
      if (!a) return undefined
      const next = { ...a, acknowledgedAt: now, acknowledgedBy: by, updatedAt: now }
      alerts.set(id, next)
      emit({ channel: 'alert', alertId: id })
      return next
    },
    async acknowledgeMany(ids, by, note, _lang, now = Date.now()) {
      const out: Alert[] = []
      const unknown: string[] = []
      for (const id of ids) {
        const a = alerts.get(id)
        if (!a) {
          unknown.push(id)
          continue
        }
        const next = { ...a, acknowledgedAt: now, acknowledgedBy: by, acknowledgedNote: note, updatedAt: now }
        alerts.set(id, next)
        emit({ channel: 'alert', alertId: id })
        out.push(next)
      }
      return { alerts: out, unknown }
    },
    onChange(l) {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    changes: () => changes,
    step() {
      const now = Date.now()
      for (const v of vehicles.values()) {
        const dLon = v.target.lon - v.lon!
        const dLat = v.target.lat - v.lat!
        const dist = Math.hypot(dLon, dLat)
        const stepDeg = 0.0008 + rnd() * 0.0008
        if (dist < stepDeg) {
          const pool = byDistrict.get(v.district) ?? [...bins.values()]
          v.target = pool[Math.floor(rnd() * pool.length)]!
        } else {
          v.lon = v.lon! + (dLon / dist) * stepDeg
          v.lat = v.lat! + (dLat / dist) * stepDeg
        }
        v.headingDeg = Math.round((Math.atan2(dLon, dLat) * 180) / Math.PI + 360) % 360
        v.speedKmh = r1(20 + rnd() * 30)
        v.lastFixAt = now
        v.zoneId = inZone(v.lon!, v.lat!)
        v.zoneWindowViolation = v.zoneId !== null && (v.type === 'transfer' || v.type === 'hazardous')
        v.speeding = v.speedKmh > 48
        emit({ channel: 'vehicle', vehicleId: v.vehicleId })
      }
      const list = [...bins.values()]
      for (let i = 0; i < (opts.binsPerStep ?? 200); i++) {
        const b = list[Math.floor(rnd() * list.length)]!
        b.fillPct = b.fillPct !== null && b.fillPct > 100 ? r1(rnd() * 10) : r1((b.fillPct ?? 0) + rnd() * 4)
        b.status = status(b.fillPct)
        b.lastReadingAt = now
        emit({ channel: 'bin', binId: b.binId })
        const id = `bin-overflow:${b.binId}`
        if (b.status === 'overflow' && !alerts.has(id)) {
          alerts.set(id, {
            id,
            type: 'bin-overflow',
            severity: 'critical',
            subject: { kind: 'bin', id: b.binId },
            state: 'open',
            openedAt: now,
            updatedAt: now,
            resolvedAt: null,
            acknowledgedAt: null,
            acknowledgedBy: null,
            message: `Bin ${b.binId} (${b.district}, ${b.stream}) is overflowing: fill ${b.fillPct} %`,
            details: {}
          })
          emit({ channel: 'alert', alertId: id })
        }
      }
      const ids = [...sites.keys()]
      for (let i = 0; i < (opts.ticketsPerStep ?? 3); i++) {
        const id = ids[Math.floor(rnd() * ids.length)]!
        const x = sites.get(id)!
        const t = r3(2 + rnd() * 8)
        const out = rnd() < 0.4
        if (out) {
          x.outT += t
          x.ticketsOut++
        } else {
          x.inT += t
          x.ticketsIn++
        }
        x.lastTicketAt = now
        const hour =
          Number(new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', hour12: false }).format(now)) % 24
        const p = x.hourly.get(hour) ?? { hour, start: now, inT: 0, outT: 0 }
        x.hourly.set(hour, { ...p, inT: r3((p.inT ?? 0) + (out ? 0 : t)), outT: r3((p.outT ?? 0) + (out ? t : 0)) })
        emit({ channel: 'site', siteId: id })
      }
      emit({ channel: 'city' })
    }
  }
}
