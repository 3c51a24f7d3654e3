import type { SiteData } from '../../../contracts/ws.ts'
import type { Model } from '../../model/types.ts'
import { ALL, type ChannelAdapter } from './types.ts'

const read = async (model: Model, siteId: string): Promise<SiteData> => {
  const [balance, hourly] = await Promise.all([model.site(siteId), model.siteHourly(siteId)])
  return { balance: balance ?? null, hourly }
}

export const site: ChannelAdapter<'site'> = {
  channel: 'site',
  touches: (change, params) =>
    (change.channel === 'site' && change.siteId === params.siteId) || change.channel === 'day' ? ALL : undefined,
  exists: async (model, params) => (await model.site(params.siteId)) !== undefined,
  snapshot: (model, params) => read(model, params.siteId),
  delta: (model, params) => read(model, params.siteId)
}
