import { ALL, type ChannelAdapter } from './types.ts'

// The ranked exceptions follow every site's projection, so any site change (and a new day)
// moves them; the list is small (the sites that need action), so a delta is the whole list.
export const exceptions: ChannelAdapter<'exceptions'> = {
  channel: 'exceptions',
  touches: (change) =>
    change.channel === 'city' || change.channel === 'site' || change.channel === 'day' ? ALL : undefined,
  snapshot: (model) => model.exceptions(),
  delta: (model) => model.exceptions()
}
