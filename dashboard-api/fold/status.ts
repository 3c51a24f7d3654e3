import type { StatusFact } from '../../contracts/facts.ts'
import {
  countRate,
  dayOf,
  deviceDay,
  deviceState,
  newer,
  noteAccepted,
  pointKey,
  seen,
  type FoldContext,
  type FoldState
} from './state.ts'
import type { FoldResult } from './types.ts'

export function foldStatus(state: FoldState, f: StatusFact, ctx: FoldContext): FoldResult {
  const dev = deviceState(state, f.deviceId)
  seen(dev, f.ts)
  dev.battery = newer(dev.battery, f.ts, f.batteryPct)
  dev.rssi = newer(dev.rssi, f.ts, f.rssiDbm)
  dev.firmware = newer(dev.firmware, f.ts, f.firmware)
  const d = dayOf(state, f.ts, ctx.tz)
  if (d)
    noteAccepted(
      deviceDay(d, f.deviceId),
      f.seq === undefined ? pointKey('status', f.ts, d.start) : undefined,
      f.seq,
      f.ts,
      f.recvMs,
      ctx.rules.lateAfterMs
    )
  countRate(state, f.deviceId, f.recvMs, true)
  return { changes: [{ channel: 'device', deviceId: f.deviceId }] }
}
