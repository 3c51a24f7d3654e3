import type { VehicleState as VehicleStateName, VehicleView } from '../../contracts/ops.ts'
import type { Vehicle } from '../../contracts/registry.ts'
import { fixFlags } from './position.ts'
import { SPEEDING, ZONE_VIOLATION, type FoldContext, type FoldState } from './state.ts'
import { speedLimitAt, zonesAt } from './zones.ts'

/**
 * A vehicle now: its latest fix (by event time); offline when that fix is older than the
 * tracker's offline threshold (then no current violation is claimed), else moving at or above
 * vehicleMovingKmh, else idle. Violations today count episodes: fixes (by event time) that
 * are in violation when the fix before them was not.
 */
export function vehicleView(state: FoldState, vehicle: Vehicle, now: number, ctx: FoldContext): VehicleView {
  const v = state.vehicles.get(vehicle.id)
  const fix = v?.latest ?? null
  let st: VehicleStateName = 'no-data'
  if (fix) {
    if (now - fix.ts > ctx.rules.offlineAfterMs['gps-tracker']) st = 'offline'
    else st = fix.speedKmh >= ctx.rules.vehicleMovingKmh ? 'moving' : 'idle'
  }
  const flags = fix && st !== 'offline' ? fixFlags(fix, ctx) : 0
  const inZones = fix ? zonesAt(ctx.zones, fix.lon, fix.lat) : []
  let zoneEpisodes = 0
  let speedEpisodes = 0
  if (v) {
    let prev = v.beforeTs === null ? 0 : v.beforeFlags
    for (let i = 0; i < v.ts.length && v.ts[i]! < state.end; i++) {
      const f = v.flags[i]!
      if (f & ZONE_VIOLATION && !(prev & ZONE_VIOLATION)) zoneEpisodes++
      if (f & SPEEDING && !(prev & SPEEDING)) speedEpisodes++
      prev = f
    }
  }
  return {
    vehicleId: vehicle.id,
    plate: vehicle.plate,
    type: vehicle.type,
    district: vehicle.district,
    lat: fix?.lat ?? null,
    lon: fix?.lon ?? null,
    speedKmh: fix?.speedKmh ?? null,
    headingDeg: fix?.headingDeg ?? null,
    lastFixAt: fix?.ts ?? null,
    state: st,
    zoneId: inZones[0]?.id ?? null,
    zoneWindowViolation: (flags & ZONE_VIOLATION) !== 0,
    speeding: (flags & SPEEDING) !== 0,
    speedLimitKmh: fix ? speedLimitAt(inZones, ctx.rules.defaultSpeedLimitKmh) : null,
    zoneViolationsToday: zoneEpisodes,
    speedViolationsToday: speedEpisodes
  }
}
