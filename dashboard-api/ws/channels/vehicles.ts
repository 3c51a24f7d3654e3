import type { VehicleView } from '../../../contracts/ops.ts'
import { collectionDelta, collectionSnapshot } from './collection.ts'
import { ALL, type ChannelAdapter } from './types.ts'

const key = (v: VehicleView): string => v.vehicleId

export const vehicles: ChannelAdapter<'vehicles'> = {
  channel: 'vehicles',
  touches: (change) =>
    change.channel === 'vehicle' ? { key: change.vehicleId } : change.channel === 'day' ? ALL : undefined,
  snapshot: async (model, params, members) => collectionSnapshot(model.vehicles(params), key, members),
  delta: async (model, params, dirty, members) => collectionDelta(model.vehicles(params), key, dirty, members)
}
