import type { WeighingFact } from '../../contracts/facts.ts'
import { float, int, str, type Point } from '../../influx/point.ts'
import { pointTime } from './time.ts'

export function weighingPoint(f: WeighingFact): Point {
  return {
    measurement: 'weighing',
    tags: {
      device: f.deviceId,
      site: f.siteId,
      site_type: f.siteType,
      district: f.district,
      direction: f.direction,
      stream: f.stream,
      material: f.material
    },
    fields: {
      ticket_id: str(f.ticketId),
      gross_kg: float(f.grossKg),
      tare_kg: float(f.tareKg),
      net_kg: float(f.netKg),
      plate: str(f.plate),
      seq: f.seq === undefined ? undefined : int(f.seq),
      recv_ms: int(f.recvMs)
    },
    timeNs: pointTime(f.ts, f.ticketId)
  }
}
