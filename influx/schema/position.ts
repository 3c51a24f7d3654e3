import type { PositionFact } from '../../contracts/facts.ts'
import { bool, float, int, type Point } from '../point.ts'
import { MEASUREMENT } from './names.ts'
import { dataBase, defined, optNum, type Row } from './row.ts'
import { pointTime } from './time.ts'

export function positionPoint(f: PositionFact): Point {
  return {
    measurement: MEASUREMENT.position,
    tags: { device: f.deviceId, vehicle: f.vehicleId, vehicle_type: f.vehicleType },
    fields: {
      lat: float(f.lat),
      lon: float(f.lon),
      speed_kmh: float(f.speedKmh),
      heading_deg: f.headingDeg === undefined ? undefined : float(f.headingDeg),
      ignition: f.ignition === undefined ? undefined : bool(f.ignition),
      seq: f.seq === undefined ? undefined : int(f.seq),
      recv_ms: int(f.recvMs)
    },
    timeNs: pointTime(f.ts, f.seq)
  }
}

export function positionFact(r: Row): PositionFact {
  const ignition = r.ignition === null || r.ignition === undefined ? undefined : Boolean(r.ignition)
  return {
    kind: 'position',
    ...dataBase(r),
    vehicleId: String(r.vehicle),
    vehicleType: String(r.vehicle_type),
    lat: Number(r.lat),
    lon: Number(r.lon),
    speedKmh: Number(r.speed_kmh),
    ...defined({ headingDeg: optNum(r.heading_deg), ignition })
  }
}
