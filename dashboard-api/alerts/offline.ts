// Offline devices grouped for alerting (the device-offline rule in rules.ts), pure. Many devices
// going silent at one evaluation share one cause — a cell outage or a night start in a district,
// a power cut or a dead uplink at a site — and the operations centre acts on the cause: one alert
// for it, with the devices as members, not one alert per device.
import type { DeviceView } from '../../contracts/ops.ts'

/** A site's devices (its weighbridges) silent together: a site has one or two, so two is many. */
export const SITE_GROUP_MIN = 2

export interface OfflineGroup {
  readonly subject: { readonly kind: 'district' | 'site'; readonly id: string }
  /** Sorted device ids. */
  readonly ids: readonly string[]
  readonly lastSeenAt: number
}

export interface OfflineGroups {
  readonly groups: readonly OfflineGroup[]
  /** Offline devices in no group, alerted one by one. */
  readonly alone: readonly DeviceView[]
}

const byKey = (list: readonly DeviceView[], keyOf: (id: string) => string | undefined) => {
  const out = new Map<string, DeviceView[]>()
  for (const d of list) {
    const key = keyOf(d.deviceId)
    if (key === undefined) continue
    const group = out.get(key)
    if (group) group.push(d)
    else out.set(key, [d])
  }
  return [...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

/**
 * District first: `districtMin` or more offline devices of one district are one alert for the
 * district (the larger event names the most). Of the rest, `SITE_GROUP_MIN` or more devices of one
 * site are one alert for the site. Whatever remains is alone. `offline` are devices already
 * judged offline (seen, then silent, and enabled).
 */
export function groupOffline(
  offline: readonly DeviceView[],
  districtOf: ((deviceId: string) => string | undefined) | undefined,
  siteOf: ((deviceId: string) => string | undefined) | undefined,
  districtMin: number
): OfflineGroups {
  const groups: OfflineGroup[] = []
  const grouped = new Set<string>()
  const take = (kind: 'district' | 'site', id: string, list: readonly DeviceView[]): void => {
    const ids = list.map((d) => d.deviceId).sort()
    for (const x of ids) grouped.add(x)
    groups.push({ subject: { kind, id }, ids, lastSeenAt: Math.max(...list.map((d) => d.lastSeenAt ?? 0)) })
  }
  if (districtOf)
    for (const [district, list] of byKey(offline, districtOf))
      if (list.length >= districtMin) take('district', district, list)
  if (siteOf) {
    const rest = offline.filter((d) => !grouped.has(d.deviceId))
    for (const [site, list] of byKey(rest, siteOf)) if (list.length >= SITE_GROUP_MIN) take('site', site, list)
  }
  return { groups, alone: offline.filter((d) => !grouped.has(d.deviceId)) }
}
