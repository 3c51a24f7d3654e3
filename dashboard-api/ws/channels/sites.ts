import type { SiteBalance } from '../../../contracts/ops.ts'
import { collectionDelta, collectionSnapshot } from './collection.ts'
import { ALL, type ChannelAdapter } from './types.ts'

const key = (s: SiteBalance): string => s.siteId

export const sites: ChannelAdapter<'sites'> = {
  channel: 'sites',
  touches: (change) =>
    change.channel === 'site' ? { key: change.siteId } : change.channel === 'day' ? ALL : undefined,
  snapshot: async (model, _params, members) => collectionSnapshot(await model.sites(), key, members),
  delta: async (model, _params, dirty, members) => collectionDelta(await model.sites(), key, dirty, members)
}
