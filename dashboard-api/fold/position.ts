import type { PositionFact } from '../../contracts/facts.ts'
import { lowerBound } from './fill.ts'
import {
  countRate,
  dayOf,
  deviceDay,
  deviceState,
  noteAccepted,
  pointKey,
  seen,
  SPEEDING,
  ZONE_VIOLATION,
  type FoldContext,
  type FoldState,
  type VehicleState
} from './state.ts'
import { localMinuteOfDay } from './time.ts'
import type { FoldResult } from './types.ts'
import { allowedIn, speedLimitAt, zonesAt } from './zones.ts'

export function vehicleState(state: FoldState, vehicleId: string): VehicleState {
  let v = state.vehicles.get(vehicleId)
  if (!v) {
    v = { vehicleId, ts: [], flags: [], latest: null, beforeFlags: 0, beforeTs: null }
    state.vehicles.set(vehicleId, v)
  }
  return v
}

/** Zone-window and speed violation flags of a fix, with the zones as they are now. */
export function fixFlags(
  f: Pick<PositionFact, 'lat' | 'lon' | 'speedKmh' | 'ts' | 'vehicleType'>,
  ctx: FoldContext
): number {
  const inZones = zonesAt(ctx.zones, f.lon, f.lat)
  let flags = 0
  if (inZones.some((z) => z.windows.length > 0)) {
    const minute = localMinuteOfDay(f.ts, ctx.tz)
    if (inZones.some((z) => !allowedIn(z, f.vehicleType, minute))) flags |= ZONE_VIOLATION
  }
  // Speeding is above the limit plus the rules' tolerance (registry rules.speedingTolerancePct).
  const limit = speedLimitAt(inZones, ctx.rules.defaultSpeedLimitKmh)
  if (f.speedKmh > limit * (1 + ctx.rules.speedingTolerancePct / 100)) flags |= SPEEDING
  return flags
}

export function foldPosition(state: FoldState, f: PositionFact, ctx: FoldContext): FoldResult {
  const dev = deviceState(state, f.deviceId)
  seen(dev, f.ts)
  const d = dayOf(state, f.ts, ctx.tz)
  if (d)
    noteAccepted(
      deviceDay(d, f.deviceId),
      f.seq === undefined ? pointKey('position', f.ts, d.start) : undefined,
      f.seq,
      f.ts,
      f.recvMs,
      ctx.rules.lateAfterMs
    )
  countRate(state, f.deviceId, f.recvMs, true)
  const v = vehicleState(state, f.vehicleId)
  if (v.latest === null || f.ts >= v.latest.ts) {
    v.latest = {
      ts: f.ts,
      lat: f.lat,
      lon: f.lon,
      speedKmh: f.speedKmh,
      headingDeg: f.headingDeg ?? null,
      vehicleType: f.vehicleType
    }
  }
  const flags = fixFlags(f, ctx)
  // A fix sent again for the same time replaces the earlier one (last write wins, as in InfluxDB).
  if (f.ts < state.start) {
    if (v.beforeTs === null || f.ts >= v.beforeTs) {
      v.beforeTs = f.ts
      v.beforeFlags = flags
    }
  } else {
    const i = lowerBound(v.ts.length, (k) => v.ts[k]!, f.ts)
    if (v.ts[i] === f.ts) v.flags[i] = flags
    else {
      v.ts.splice(i, 0, f.ts)
      v.flags.splice(i, 0, flags)
    }
  }
  return {
    changes: [
      { channel: 'vehicle', vehicleId: f.vehicleId },
      { channel: 'device', deviceId: f.deviceId }
    ]
  }
}
