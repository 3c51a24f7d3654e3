import type { StatusFact } from '../../contracts/facts.ts'
import { float, int, str, type Point } from '../../influx/point.ts'
import { pointTime } from './time.ts'

/** Measurement `device_status`: "status" alone would be ambiguous next to alerts and sites. */
export function statusPoint(f: StatusFact): Point {
  return {
    measurement: 'device_status',
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
