import { z } from 'zod'

// Websocket messages, dashboard-api → operations clients, v1. First cut: each site's
// inbound and outbound tonnes for the current local day (issue 2); issue 3 adds channels.

export const SiteTonnes = z.object({
  siteId: z.string(),
  /** Σ net of inbound tickets today, tonnes. */
  inT: z.number(),
  /** Σ net of outbound tickets today, tonnes. */
  outT: z.number()
})
export type SiteTonnes = z.infer<typeof SiteTonnes>

export const SitesSnapshot = z.object({
  type: z.literal('snapshot'),
  channel: z.literal('sites'),
  /** Local day (QINGYUN_TZ), YYYY-MM-DD. */
  day: z.string(),
  sites: z.array(SiteTonnes)
})
export type SitesSnapshot = z.infer<typeof SitesSnapshot>

export const SiteUpdate = z.object({
  type: z.literal('site'),
  day: z.string(),
  ...SiteTonnes.shape
})
export type SiteUpdate = z.infer<typeof SiteUpdate>

export const ServerMessage = z.discriminatedUnion('type', [SitesSnapshot, SiteUpdate])
export type ServerMessage = z.infer<typeof ServerMessage>
