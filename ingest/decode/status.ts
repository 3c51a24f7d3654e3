import { Status } from '../../contracts/device/index.ts'
import type { KindDecoder } from './kind.ts'

export const status: KindDecoder<'status'> = {
  schema: Status,
  toFact(msg, base, device) {
    return {
      kind: 'status',
      ...base,
      deviceType: device.type,
      ...(msg.batteryPct === undefined ? {} : { batteryPct: msg.batteryPct }),
      ...(msg.rssiDbm === undefined ? {} : { rssiDbm: msg.rssiDbm }),
      ...(msg.firmware === undefined ? {} : { firmware: msg.firmware }),
      ...(msg.uptimeS === undefined ? {} : { uptimeS: msg.uptimeS })
    }
  }
}
