// An alert as the operations centre reads it: the stored alert plus its subject's name,
// district and place from the registry (names as they are now, so a renamed site reads right),
// the measured value and the limit it crossed, local times in QINGYUN_TZ, and the message in the
// reader's language. Pure; nothing here is stored.
import type { Alert } from '../../contracts/ops.ts'
import type { Registry } from '../../contracts/registry.ts'
import { zoneOffsetMs } from '../../lib/time.ts'
import { districtLabel, label, renderMessage, vehicleTypeLabel, type Lang, type MessageFacts } from './messages.ts'

type Details = Alert['details']
const n = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/** `YYYY-MM-DD HH:mm:ss` local time in `tz`. */
export function localTime(ms: number, tz: string, offsetMs: (ms: number, tz: string) => number = zoneOffsetMs): string {
  return new Date(ms + offsetMs(ms, tz)).toISOString().slice(0, 19).replace('T', ' ')
}

/** Zone offsets by quarter hour (zones change offset only on quarter hours): Intl's formatting
 *  costs some 100 µs a call, and a list of thousands of alerts needs several times each. */
function cachedOffsets(): (ms: number, tz: string) => number {
  const cache = new Map<number, number>()
  return (ms, tz) => {
    const q = Math.floor(ms / 900_000)
    let off = cache.get(q)
    if (off === undefined) {
      if (cache.size >= 4096) cache.clear()
      off = zoneOffsetMs(q * 900_000, tz)
      cache.set(q, off)
    }
    return off
  }
}

interface Place {
  readonly name: (lang: Lang) => string
  readonly district: string | null
  readonly location: { lon: number; lat: number } | null
}

/** The value an alert is about and the limit it crossed, with their unit. */
function measure(a: Alert): { value: number | null; limit: number | null; unit: string | null } {
  const d = a.details
  switch (a.type) {
    case 'site-will-not-clear':
      return { value: n(d.projectedStockT), limit: n(d.toleranceT), unit: 't' }
    case 'site-over-capacity': {
      const over = (n(d.capacityPct) ?? 0) > 100
      return { value: over ? n(d.inT) : n(d.projectedInT), limit: n(d.capacityTpd), unit: 't' }
    }
    case 'site-stock-after-cutoff':
      return { value: n(d.stockT), limit: n(d.toleranceT), unit: 't' }
    case 'bin-overflow':
    case 'bin-near-full':
      return { value: n(d.fillPct), limit: n(d.limitPct), unit: '%' }
    case 'vehicle-speeding':
      return { value: n(d.speedKmh), limit: n(d.speedLimitKmh), unit: 'km/h' }
    case 'device-low-battery':
      return { value: n(d.batteryPct), limit: n(d.limitPct), unit: '%' }
    case 'rejection-spike': {
      const rejected = n(d.rejected) ?? 0
      const total = rejected + (n(d.accepted) ?? 0)
      return { value: total === 0 ? null : (100 * rejected) / total, limit: null, unit: '%' }
    }
    case 'spool-full':
      return { value: n(d.unforwardedBytes), limit: n(d.maxBytes), unit: 'B' }
    default:
      return { value: null, limit: null, unit: null }
  }
}

/** The moment a message names: when the device was last heard, where the vehicle's fix was. */
const moment = (d: Details): number | null => n(d.lastSeenAt) ?? n(d.lastFixAt)

export type Presenter = (alert: Alert, lang: Lang) => Alert

/** A presenter over one registry (index it once, present many alerts). */
export function createPresenter(registry: Registry, tz: string): Presenter {
  const sites = new Map(registry.sites.map((s) => [s.id, s]))
  const bins = new Map(registry.bins.map((b) => [b.id, b]))
  const vehicles = new Map(registry.vehicles.map((v) => [v.id, v]))
  const devices = new Map(registry.devices.map((d) => [d.id, d]))
  const zones = new Map((registry.zones ?? []).map((z) => [z.id, z]))
  const offsets = cachedOffsets()
  const local = (ms: number): string => localTime(ms, tz, offsets)

  function place(kind: string, id: string, details: Details): Place | undefined {
    if (kind === 'site') {
      const s = sites.get(id)
      return s && { name: () => s.name, district: s.district, location: { lon: s.location.lon, lat: s.location.lat } }
    }
    if (kind === 'bin') {
      const b = bins.get(id)
      if (!b) return undefined
      const no = /(\d+)$/.exec(id)?.[1] ?? id
      return {
        name: (lang) =>
          lang === 'zh'
            ? `${districtLabel(b.district, lang)}${label(b.stream, lang)}桶 ${no} 号`
            : `${label(b.stream, lang)} bin no. ${no} in ${districtLabel(b.district, lang)}`,
        district: b.district,
        location: { lon: b.location.lon, lat: b.location.lat }
      }
    }
    if (kind === 'vehicle') {
      const v = vehicles.get(id)
      if (!v) return undefined
      const lon = n(details.lon)
      const lat = n(details.lat)
      return {
        name: (lang) =>
          lang === 'zh'
            ? `${v.plate}（${vehicleTypeLabel(v.type, lang)}）`
            : `${v.plate} (${vehicleTypeLabel(v.type, lang)})`,
        district: v.district,
        location: lon !== null && lat !== null ? { lon, lat } : null
      }
    }
    if (kind === 'device') {
      const d = devices.get(id)
      if (!d) return undefined
      const owner =
        d.siteId !== undefined
          ? place('site', d.siteId, {})
          : d.binId !== undefined
            ? place('bin', d.binId, {})
            : d.vehicleId !== undefined
              ? place('vehicle', d.vehicleId, {})
              : undefined
      return {
        name: (lang) => {
          const type = label(d.type, lang)
          if (!owner) return type
          return lang === 'zh' ? `${owner.name(lang)}的${type}` : `the ${type} of ${owner.name(lang)}`
        },
        district: owner?.district ?? null,
        location: owner?.location ?? null
      }
    }
    if (kind === 'district') return { name: (lang) => districtLabel(id, lang), district: id, location: null }
    if (kind === 'city') {
      return {
        name: (lang) => (lang === 'zh' ? `${registry.city.name}全市` : registry.city.name),
        district: null,
        location: null
      }
    }
    return undefined
  }

  // The engine replaces an alert's object on every transition, so the same object reads the
  // same: the websocket re-reads the whole list on each flush, and most of it has not changed.
  const memo = new Map<string, { readonly src: Alert; readonly out: Alert }>()
  const MEMO_MAX = 20_000

  const presentOne = (a: Alert, lang: Lang): Alert => {
    const p = place(a.subject.kind, a.subject.id, a.details)
    // A subject no longer in the registry keeps its id as its name: better than nothing to act on.
    const subjectName = p?.name(lang) ?? a.subject.id
    const { value, limit, unit } = measure(a)
    const zoneId = typeof a.details.zoneId === 'string' ? a.details.zoneId : null
    const at = moment(a.details)
    const facts: MessageFacts = {
      subjectName,
      details: a.details,
      value,
      limit,
      zoneName: zoneId === null ? null : (zones.get(zoneId)?.name ?? null),
      localTime: at === null ? null : local(at),
      count: a.members !== undefined ? (n(a.details.count) ?? a.members.length) : null
    }
    const members = a.members?.map((m) => ({ id: m.id, name: place('device', m.id, {})?.name(lang) ?? m.id }))
    return {
      ...a,
      subject: { ...a.subject, name: subjectName },
      message: renderMessage(a.type, lang, facts),
      ...(members === undefined ? {} : { members }),
      district: p?.district ?? null,
      location: p?.location ?? null,
      value,
      limit,
      unit,
      local: {
        openedAt: local(a.openedAt),
        updatedAt: local(a.updatedAt),
        resolvedAt: a.resolvedAt === null ? null : local(a.resolvedAt),
        acknowledgedAt: a.acknowledgedAt === null ? null : local(a.acknowledgedAt)
      },
      lang
    }
  }

  return (a, lang) => {
    const key = `${lang}\u0000${a.id}`
    const hit = memo.get(key)
    if (hit?.src === a) return hit.out
    const out = presentOne(a, lang)
    if (memo.size >= MEMO_MAX) memo.clear()
    memo.set(key, { src: a, out })
    return out
  }
}

/** The operations centre's filters: each list given matches any of its values. */
export interface AlertListFilter {
  readonly states?: readonly Alert['state'][]
  readonly severities?: readonly Alert['severity'][]
  readonly types?: readonly Alert['type'][]
  readonly districts?: readonly string[]
}

const anyOf = <T>(list: readonly T[] | undefined, v: T): boolean => list === undefined || list.includes(v)

/** A presented alert against the lists (its district is known only once presented). */
export const matchesQuery = (a: Alert, f: AlertListFilter): boolean =>
  anyOf(f.states, a.state) &&
  anyOf(f.severities, a.severity) &&
  anyOf(f.types, a.type) &&
  (f.districts === undefined || (a.district != null && f.districts.includes(a.district)))
