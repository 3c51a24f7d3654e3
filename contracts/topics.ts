import { Kind } from './device/index.ts'

// Topic layout, v1. Device ids never contain '/', '+', '#' (contracts/registry.ts), so a
// topic level is always one id.

export const DEVICE_PREFIX = 'v1/devices/'
/** Internal namespace for committed facts; '$' keeps it out of '#' subscriptions [MQTT-4.7.2-1]. */
export const FACTS_PREFIX = '$qingyun/v1/facts/'
export const FACTS_FILTER = `${FACTS_PREFIX}#`
export const ERRORS_LEVEL = 'errors'

export const deviceTopic = (deviceId: string, kind: Kind): string => `${DEVICE_PREFIX}${deviceId}/${kind}`
export const errorsTopic = (deviceId: string): string => `${DEVICE_PREFIX}${deviceId}/${ERRORS_LEVEL}`
export const factsTopic = (deviceId: string): string => `${FACTS_PREFIX}${deviceId}`

const FACTS_LEVELS = FACTS_PREFIX.split('/').slice(0, -1)

/**
 * Whether a subscription filter can match some device's facts topic (`$qingyun/v1/facts/{id}`):
 * wildcards as MQTT 3.1.1 §4.7 has them, a `$` level matched only by itself.
 */
export function filterMatchesFacts(filter: string): boolean {
  const levels = filter.split('/')
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!
    if (level === '#') return i > 0 // '#' first would not match a '$' topic
    if (i === FACTS_LEVELS.length) return levels.length === i + 1 && level !== '' // the device id
    if (level === '+' ? i === 0 : level !== FACTS_LEVELS[i]) return false
  }
  return false
}

export type ParsedDeviceTopic =
  | { readonly ok: true; readonly deviceId: string; readonly kind: Kind }
  | { readonly ok: false; readonly deviceId?: string; readonly reason: string }

const KINDS: ReadonlySet<string> = new Set(Kind.options)

/** `v1/devices/{deviceId}/{kind}` → its parts, or why it is not a device message topic. */
export function parseDeviceTopic(topic: string): ParsedDeviceTopic {
  if (!topic.startsWith(DEVICE_PREFIX)) return { ok: false, reason: `topic must start with ${DEVICE_PREFIX}` }
  // Every PUBLISH comes through here: plain string scans, no array or schema per message.
  const slash = topic.indexOf('/', DEVICE_PREFIX.length)
  const deviceId = slash < 0 ? '' : topic.slice(DEVICE_PREFIX.length, slash)
  const kind = slash < 0 ? '' : topic.slice(slash + 1)
  if (!deviceId || !kind || kind.includes('/')) {
    return { ok: false, reason: 'topic must be v1/devices/{deviceId}/{kind}' }
  }
  if (!KINDS.has(kind))
    return { ok: false, deviceId, reason: `unknown kind "${kind}"; expected one of ${Kind.options.join(', ')}` }
  return { ok: true, deviceId, kind: kind as Kind }
}
