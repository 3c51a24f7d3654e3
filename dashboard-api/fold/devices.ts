import type { DeviceView, RejectionRate } from '../../contracts/ops.ts'
import { deviceRef, type Device, type ResolvedRules } from '../../contracts/registry.ts'
import type { FoldState } from './state.ts'

/**
 * A device now. Last seen is the latest event time of its accepted data; offline when that is
 * older than the threshold of its type. A device never heard from is not "offline" (it has no
 * data: lastSeenAt null), nor is a disabled one.
 */
export function deviceView(state: FoldState, device: Device, now: number, rules: ResolvedRules): DeviceView {
  const s = state.devices.get(device.id)
  const lastSeenAt = s?.lastSeenAt ?? null
  return {
    deviceId: device.id,
    type: device.type,
    ref: deviceRef(device)?.id ?? '',
    enabled: device.enabled,
    lastSeenAt,
    offline: device.enabled && lastSeenAt !== null && now - lastSeenAt > rules.offlineAfterMs[device.type],
    batteryPct: s?.battery?.value ?? null,
    rssiDbm: s?.rssi?.value ?? null,
    firmware: s?.firmware?.value ?? null
  }
}

export const REJECTION_WINDOW_MS = 15 * 60_000

/** Accepted and rejected objects by arrival time in (now − window, now]; forgets older minutes. */
export function rejectionRate(state: FoldState, now: number, windowMs = REJECTION_WINDOW_MS): RejectionRate {
  const from = Math.floor((now - windowMs) / 60_000)
  const byDevice = new Map<string, { accepted: number; rejected: number }>()
  let accepted = 0
  let rejected = 0
  for (const [bucket, m] of state.rate) {
    if (bucket <= from) {
      state.rate.delete(bucket)
      continue
    }
    for (const [deviceId, c] of m) {
      const d = byDevice.get(deviceId) ?? { accepted: 0, rejected: 0 }
      d.accepted += c.accepted
      d.rejected += c.rejected
      byDevice.set(deviceId, d)
      accepted += c.accepted
      rejected += c.rejected
    }
  }
  return {
    windowMs,
    accepted,
    rejected,
    byDevice: [...byDevice]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([deviceId, c]) => ({ deviceId, ...c }))
  }
}
