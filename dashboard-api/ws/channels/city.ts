import { ALL, type ChannelAdapter } from './types.ts'

// The city summary counts sites by status and alerts by severity, so any site or alert change
// (and a new day) moves it.
export const city: ChannelAdapter<'city'> = {
  channel: 'city',
  touches: (change) =>
    change.channel === 'city' || change.channel === 'site' || change.channel === 'alert' || change.channel === 'day'
      ? ALL
      : undefined,
  snapshot: (model) => model.city(),
  delta: (model) => model.city()
}
