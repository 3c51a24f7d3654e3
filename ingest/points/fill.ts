import type { FillFact } from '../../contracts/facts.ts'
import { float, int, type Point } from '../../influx/point.ts'
import { pointTime } from './time.ts'

export function fillPoint(f: FillFact): Point {
  return {
    measurement: 'fill',
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
