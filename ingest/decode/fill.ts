import { Fill } from '../../contracts/device/index.ts'
import type { KindDecoder } from './kind.ts'

export const fill: KindDecoder<'fill'> = {
  schema: Fill,
  toFact(msg, base, device, registry) {
    const bin = device.binId === undefined ? undefined : registry.bin(device.binId)
    if (!bin) return { error: `device ${device.id} is not attached to a registered bin` }
    return {
      kind: 'fill',
      ...base,
      binId: bin.id,
      binStream: bin.stream,
      district: bin.district,
      fillPct: msg.fillPct,
      ...(msg.batteryPct === undefined ? {} : { batteryPct: msg.batteryPct }),
      ...(msg.tempC === undefined ? {} : { tempC: msg.tempC })
    }
  }
}
