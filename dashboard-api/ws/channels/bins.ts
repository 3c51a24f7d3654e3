import type { BinView } from '../../../contracts/ops.ts'
import { collectionDelta, collectionSnapshot } from './collection.ts'
import { ALL, type ChannelAdapter } from './types.ts'

const key = (b: BinView): string => b.binId

export const bins: ChannelAdapter<'bins'> = {
  channel: 'bins',
  touches: (change) => (change.channel === 'bin' ? { key: change.binId } : change.channel === 'day' ? ALL : undefined),
  snapshot: async (model, params, members) => collectionSnapshot(model.bins(params), key, members),
  delta: async (model, params, dirty, members) => collectionDelta(model.bins(params), key, dirty, members)
}
