import type { Direction, Material, Stream } from '../../contracts/device/weighing.ts'
import type { WeighingFact } from '../../contracts/facts.ts'
import { float, int, str, type Point } from '../point.ts'
import { MEASUREMENT } from './names.ts'
import { dataBase, defined, optStr, type Row } from './row.ts'
import { pointTime } from './time.ts'

export function weighingPoint(f: WeighingFact): Point {
  return {
    measurement: MEASUREMENT.weighing,
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

export function weighingFact(r: Row): WeighingFact {
  return {
    kind: 'weighing',
    ...dataBase(r),
    siteId: String(r.site),
    siteType: r.site_type === 'sorting' ? 'sorting' : 'transfer',
    district: String(r.district),
    ticketId: String(r.ticket_id),
    direction: String(r.direction) as Direction,
    stream: String(r.stream) as Stream,
    ...defined({ material: optStr(r.material) as Material | undefined }),
    grossKg: Number(r.gross_kg),
    tareKg: Number(r.tare_kg),
    netKg: Number(r.net_kg),
    plate: String(r.plate)
  }
}
