import type { FillFact } from '../../contracts/facts.ts'
import { float, int, type Point } from '../point.ts'
import { MEASUREMENT } from './names.ts'
import { dataBase, defined, optNum, type Row } from './row.ts'
import { pointTime } from './time.ts'

export function fillPoint(f: FillFact): Point {
  return {
    measurement: MEASUREMENT.fill,
    tags: { device: f.deviceId, bin: f.binId, district: f.district, stream: f.binStream },
    fields: {
      fill_pct: float(f.fillPct),
      battery_pct: f.batteryPct === undefined ? undefined : float(f.batteryPct),
      temp_c: f.tempC === undefined ? undefined : float(f.tempC),
      seq: f.seq === undefined ? undefined : int(f.seq),
      recv_ms: int(f.recvMs)
    },
    timeNs: pointTime(f.ts, f.seq)
  }
}

export function fillFact(r: Row): FillFact {
  return {
    kind: 'fill',
    ...dataBase(r),
    binId: String(r.bin),
    binStream: String(r.stream),
    district: String(r.district),
    fillPct: Number(r.fill_pct),
    ...defined({ batteryPct: optNum(r.battery_pct), tempC: optNum(r.temp_c) })
  }
}
