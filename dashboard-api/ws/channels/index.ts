import type { ChannelName } from '../../../contracts/ws.ts'
import { alerts } from './alerts.ts'
import { bins } from './bins.ts'
import { city } from './city.ts'
import { exceptions } from './exceptions.ts'
import { site } from './site.ts'
import { sites } from './sites.ts'
import type { ChannelAdapter } from './types.ts'
import { vehicles } from './vehicles.ts'

export const channels: { readonly [C in ChannelName]: ChannelAdapter<C> } = {
  city,
  sites,
  site,
  bins,
  vehicles,
  alerts,
  exceptions
}
export type { ChannelAdapter, Touch } from './types.ts'
