import type { PositionFact } from '../../contracts/facts.ts'
import { bool, float, int, type Point } from '../../influx/point.ts'
import { pointTime } from './time.ts'

export function positionPoint(f: PositionFact): Point {
  return {
    measurement: 'position',
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
