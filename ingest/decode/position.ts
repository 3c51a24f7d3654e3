import { Position } from '../../contracts/device/index.ts'
import type { KindDecoder } from './kind.ts'

export const position: KindDecoder<'position'> = {
  schema: Position,
  toFact(msg, base, device, registry) {
    const vehicle = device.vehicleId === undefined ? undefined : registry.vehicle(device.vehicleId)
    if (!vehicle) return { error: `device ${device.id} is not attached to a registered vehicle` }
    return {
      kind: 'position',
      ...base,
      vehicleId: vehicle.id,
      vehicleType: vehicle.type,
      lat: msg.lat,
      lon: msg.lon,
      speedKmh: msg.speedKmh,
      ...(msg.headingDeg === undefined ? {} : { headingDeg: msg.headingDeg }),
      ...(msg.ignition === undefined ? {} : { ignition: msg.ignition })
    }
  }
}
