import type { StatusFact } from '../../contracts/facts.ts'
import { float, int, str, type Point } from '../point.ts'
import { MEASUREMENT } from './names.ts'
import { dataBase, defined, optNum, optStr, type Row } from './row.ts'
import { pointTime } from './time.ts'

/** Measurement `device_status` (names.ts). */
export function statusPoint(f: StatusFact): Point {
  return {
    measurement: MEASUREMENT.status,
    tags: { device: f.deviceId, device_type: f.deviceType },
    fields: {
      battery_pct: f.batteryPct === undefined ? undefined : float(f.batteryPct),
      rssi_dbm: f.rssiDbm === undefined ? undefined : float(f.rssiDbm),
      firmware: f.firmware === undefined ? undefined : str(f.firmware),
      uptime_s: f.uptimeS === undefined ? undefined : int(f.uptimeS),
      seq: f.seq === undefined ? undefined : int(f.seq),
      recv_ms: int(f.recvMs)
    },
    timeNs: pointTime(f.ts, f.seq)
  }
}

export function statusFact(r: Row): StatusFact {
  return {
    kind: 'status',
    ...dataBase(r),
    deviceType: String(r.device_type),
    ...defined({
      batteryPct: optNum(r.battery_pct),
      rssiDbm: optNum(r.rssi_dbm),
      firmware: optStr(r.firmware),
      uptimeS: optNum(r.uptime_s)
    })
  }
}
