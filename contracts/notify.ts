// The notification file (QINGYUN_NOTIFY_FILE): where alerts are sent — channels with their
// endpoints and secrets — and which alerts go where. Read once at start; the secrets in it are
// never logged nor shown by the REST API (dashboard-api/notify/README.md).
import { z } from 'zod'
import { AlertType, Severity } from './ops.ts'
import { District, Id } from './registryEntities.ts'

const HttpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(2048)
  .describe('The endpoint; it may hold a key (WeCom, DingTalk): treated as a secret')
const Secret = z.string().min(8).max(512)
const Lang = z.enum(['zh', 'en'])

/** A generic JSON webhook; every body is signed: `X-Qingyun-Signature: sha256=<hex HMAC-SHA256(secret, body)>`. */
export const WebhookChannel = z.strictObject({
  id: Id,
  type: z.literal('webhook'),
  url: HttpUrl,
  secret: Secret,
  lang: Lang.optional()
})
/** A WeCom (企业微信) group robot: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`. */
export const WecomChannel = z.strictObject({ id: Id, type: z.literal('wecom'), url: HttpUrl, lang: Lang.optional() })
/** A DingTalk (钉钉) group robot: `https://oapi.dingtalk.com/robot/send?access_token=…`, with its
 *  加签 secret (`SEC…`) when the robot has signing on. */
export const DingtalkChannel = z.strictObject({
  id: Id,
  type: z.literal('dingtalk'),
  url: HttpUrl,
  secret: Secret.optional(),
  lang: Lang.optional()
})
/** E-mail over SMTP. */
export const EmailChannel = z.strictObject({
  id: Id,
  type: z.literal('email'),
  smtp: z.strictObject({
    host: z.string().min(1).max(255),
    port: z.int().min(1).max(65535),
    /** TLS from the start (465); otherwise STARTTLS when the server offers it. */
    secure: z.boolean().optional(),
    user: z.string().min(1).max(255).optional(),
    pass: z.string().min(1).max(512).optional()
  }),
  from: z.string().min(3).max(320),
  to: z.array(z.string().min(3).max(320)).min(1).max(50),
  lang: Lang.optional()
})
export const NotifyChannel = z.discriminatedUnion('type', [WebhookChannel, WecomChannel, DingtalkChannel, EmailChannel])
export type NotifyChannel = z.infer<typeof NotifyChannel>

/** What happened to an alert: opened, raised or lowered a level, its group changed, resolved. */
export const AlertEvent = z.enum(['opened', 'escalated', 'deescalated', 'updated', 'resolved'])
export type AlertEvent = z.infer<typeof AlertEvent>

/** Alerts matching every list given (any of its values) are sent to the channels. */
export const NotifyRule = z.strictObject({
  channels: z.array(Id).min(1).max(20),
  /** Default: opened and escalated. */
  events: z.array(AlertEvent).min(1).optional(),
  severities: z.array(Severity).min(1).optional(),
  types: z.array(AlertType).min(1).optional(),
  districts: z.array(District).min(1).optional()
})
export type NotifyRule = z.infer<typeof NotifyRule>

export const NotifyConfig = z
  .strictObject({
    channels: z.array(NotifyChannel).max(50),
    rules: z.array(NotifyRule).max(100)
  })
  .superRefine((c, ctx) => {
    const ids = new Set<string>()
    c.channels.forEach((ch, i) => {
      if (ids.has(ch.id))
        ctx.addIssue({ code: 'custom', path: ['channels', i, 'id'], message: `duplicate channel id ${ch.id}` })
      ids.add(ch.id)
    })
    c.rules.forEach((r, i) =>
      r.channels.forEach((id, j) => {
        if (!ids.has(id))
          ctx.addIssue({ code: 'custom', path: ['rules', i, 'channels', j], message: `no channel ${id}` })
      })
    )
  })
export type NotifyConfig = z.infer<typeof NotifyConfig>

/** What was sent (or could not be), per alert event and channel. No endpoint or secret in it. */
export const NotificationRecord = z.object({
  id: z.string(),
  channel: z.string(),
  channelType: z.enum(['webhook', 'wecom', 'dingtalk', 'email']),
  alertId: z.string(),
  alertType: AlertType,
  event: AlertEvent,
  /** queued → sending → sent, or failed after the last attempt, or dropped when the channel's queue was full. */
  state: z.enum(['queued', 'sending', 'sent', 'failed', 'dropped']),
  attempts: z.number().int(),
  queuedAt: z.number(),
  doneAt: z.number().nullable(),
  error: z.string().nullable()
})
export type NotificationRecord = z.infer<typeof NotificationRecord>
