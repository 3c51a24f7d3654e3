import type { Alert } from '../../../contracts/ops.ts'
import { collectionDelta, collectionSnapshot } from './collection.ts'
import { ALL, type ChannelAdapter } from './types.ts'

const key = (a: Alert): string => a.id

// The model's default alert set: open alerts plus those opened or updated today.
export const alerts: ChannelAdapter<'alerts'> = {
  channel: 'alerts',
  touches: (change) =>
    change.channel === 'alert' ? { key: change.alertId } : change.channel === 'day' ? ALL : undefined,
  snapshot: async (model, params, members) => collectionSnapshot(model.alerts(params), key, members),
  delta: async (model, params, dirty, members) => collectionDelta(model.alerts(params), key, dirty, members)
}
