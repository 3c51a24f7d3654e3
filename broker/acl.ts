import type { Kind } from '../contracts/device/index.ts'
import type { Device } from '../contracts/registry.ts'
import { kindsForDeviceType } from '../contracts/registry.ts'
import { DEVICE_PREFIX, ERRORS_LEVEL, FACTS_PREFIX, parseDeviceTopic } from '../contracts/topics.ts'

/** Who is on the other end of a connection, fixed at CONNECT. */
export type Principal =
  | { readonly kind: 'device'; readonly deviceId: string }
  | { readonly kind: 'service'; readonly serviceId: string }
  /** Only with QINGYUN_ALLOW_ANONYMOUS (development). */
  | { readonly kind: 'anonymous' }

export type PublishDecision =
  | { readonly ok: true; readonly deviceId: string; readonly kind: Kind }
  | { readonly ok: false; readonly reason: string }

const allows = (device: Device, kind: Kind): boolean => kindsForDeviceType(device.type).includes(kind)

/**
 * A device publishes only `v1/devices/{its id}/{a kind its type allows}`; services publish
 * nothing; an anonymous client (dev flag) may speak for any registered, enabled device.
 */
export function decidePublish(
  p: Principal,
  topic: string,
  device: (id: string) => Device | undefined
): PublishDecision {
  if (p.kind === 'service') return { ok: false, reason: 'service accounts do not publish' }
  const t = parseDeviceTopic(topic)
  if (!t.ok) return { ok: false, reason: t.reason }
  if (p.kind === 'device' && t.deviceId !== p.deviceId)
    return { ok: false, reason: `device ${p.deviceId} may not publish for ${t.deviceId}` }
  const d = device(t.deviceId)
  if (!d || !d.enabled) return { ok: false, reason: `device ${t.deviceId} is not registered or is disabled` }
  if (!allows(d, t.kind)) return { ok: false, reason: `a ${d.type} may not publish ${t.kind}` }
  return { ok: true, deviceId: t.deviceId, kind: t.kind }
}

/** A device reads only its own errors topic; services read device topics, facts and $SYS. */
export function decideSubscribe(p: Principal, filter: string): { readonly ok: boolean; readonly reason?: string } {
  switch (p.kind) {
    case 'device':
      return filter === `${DEVICE_PREFIX}${p.deviceId}/${ERRORS_LEVEL}`
        ? { ok: true }
        : { ok: false, reason: `a device may subscribe only to ${DEVICE_PREFIX}${p.deviceId}/${ERRORS_LEVEL}` }
    case 'service':
      return filter.startsWith(FACTS_PREFIX.split('/')[0] + '/') ||
        filter.startsWith(DEVICE_PREFIX) ||
        filter.startsWith('$SYS/')
        ? { ok: true }
        : { ok: false, reason: 'service accounts subscribe to $qingyun/, v1/devices/ or $SYS/ topics' }
    case 'anonymous':
      return filter.startsWith(DEVICE_PREFIX)
        ? { ok: true }
        : { ok: false, reason: `anonymous clients may subscribe only under ${DEVICE_PREFIX}` }
  }
}
