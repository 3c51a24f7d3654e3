import { Weighing } from '../../contracts/device/index.ts'
import type { KindDecoder } from './kind.ts'

export const weighing: KindDecoder<'weighing'> = {
  schema: Weighing,
  toFact(msg, base, device, registry) {
    const site = device.siteId === undefined ? undefined : registry.site(device.siteId)
    if (!site) return { error: `device ${device.id} is not attached to a registered site` }
    return {
      kind: 'weighing',
      ...base,
      siteId: site.id,
      siteType: site.type,
      district: site.district,
      ticketId: msg.ticketId,
      direction: msg.direction,
      stream: msg.stream,
      ...(msg.material === undefined ? {} : { material: msg.material }),
      grossKg: msg.grossKg,
      tareKg: msg.tareKg,
      netKg: msg.netKg,
      plate: msg.plate
    }
  }
}
