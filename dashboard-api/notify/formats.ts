// What each channel type is sent for one alert event: pure, given the presented alert and the
// time. The HTTP robots' formats are theirs: WeCom (企业微信) and DingTalk (钉钉) group robots
// take `{"msgtype":"markdown", ...}` and answer `{"errcode":0}`; DingTalk's signing (加签) puts
// `timestamp` (ms) and `sign` = urlencode(base64(HMAC-SHA256(secret, timestamp + "\n" + secret)))
// on the query. The generic webhook's body is signed as a whole (README in this folder).
import { createHmac } from 'node:crypto'
import type { Alert } from '../../contracts/ops.ts'
import type { AlertEvent, NotifyChannel } from '../../contracts/notify.ts'
import type { Lang } from '../alerts/messages.ts'

export interface HttpRequest {
  readonly url: string
  readonly headers: Record<string, string>
  readonly body: string
  /** The robots answer 200 with `errcode` ≠ 0 when they refuse a message. */
  readonly checkErrcode: boolean
}

export interface MailMessage {
  readonly subject: string
  readonly text: string
}

export const SIGNATURE_HEADER = 'x-qingyun-signature'

/** `sha256=<hex>` of the raw body with the channel's secret, as the receiver recomputes it. */
export const signBody = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`

/** DingTalk 加签: the `sign` query value for `timestamp` (ms). */
export const dingtalkSign = (secret: string, timestamp: number): string =>
  createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64')

const SEVERITY: { readonly [L in Lang]: Readonly<Record<Alert['severity'], string>> } = {
  zh: { critical: '严重', warning: '警告', info: '提示' },
  en: { critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' }
}
const EVENT: { readonly [L in Lang]: Readonly<Record<AlertEvent, string>> } = {
  zh: { opened: '新告警', escalated: '告警升级', deescalated: '告警降级', updated: '告警更新', resolved: '告警解除' },
  en: {
    opened: 'New alert',
    escalated: 'Alert escalated',
    deescalated: 'Alert lowered',
    updated: 'Alert updated',
    resolved: 'Alert resolved'
  }
}

/** The robots cap a markdown message (WeCom: 4096 bytes); members beyond these are counted, not listed. */
const MAX_LISTED = 30
const MAX_MARKDOWN_BYTES = 4000

function truncateBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s
  let out = s
  while (Buffer.byteLength(out) > max - 3) out = out.slice(0, Math.floor(out.length * 0.9))
  return `${out}…`
}

export function title(a: Alert, event: AlertEvent, lang: Lang): string {
  return `${EVENT[lang][event]} [${SEVERITY[lang][a.severity]}] ${a.subject.name ?? a.subject.id}`
}

/** The lines a human reads: what, where, when; the same in markdown and e-mail. */
function lines(a: Alert, event: AlertEvent, lang: Lang): string[] {
  const zh = lang === 'zh'
  const out = [a.message]
  if (a.district) out.push(`${zh ? '区域' : 'District'}: ${a.district}`)
  const when = event === 'resolved' ? a.local?.resolvedAt : a.local?.updatedAt
  if (when) out.push(`${zh ? '时间' : 'Time'}: ${when}`)
  if (a.location)
    out.push(`${zh ? '位置' : 'Location'}: ${a.location.lon.toFixed(5)}, ${a.location.lat.toFixed(5)} (WGS-84)`)
  if (a.members && a.members.length > 0) {
    const listed = a.members.slice(0, MAX_LISTED).map((m) => m.name ?? m.id)
    const more = a.members.length - listed.length
    out.push(
      `${zh ? '设备' : 'Devices'}: ${listed.join(zh ? '、' : ', ')}${more > 0 ? (zh ? ` 等 ${more} 台` : ` and ${more} more`) : ''}`
    )
  }
  out.push(`${zh ? '告警编号' : 'Alert id'}: ${a.id}`)
  return out
}

export function markdown(a: Alert, event: AlertEvent, lang: Lang): string {
  const [first, ...rest] = lines(a, event, lang)
  return truncateBytes(
    `### ${title(a, event, lang)}\n${first}\n${rest.map((l) => `> ${l}`).join('\n')}`,
    MAX_MARKDOWN_BYTES
  )
}

export function mail(a: Alert, event: AlertEvent, lang: Lang): MailMessage {
  return { subject: `[Qingyun] ${title(a, event, lang)}`, text: `${lines(a, event, lang).join('\n')}\n` }
}

/** The webhook's JSON body: the event, the alert as read (in the channel's language), and the delivery id. */
export const webhookBody = (a: Alert, event: AlertEvent, deliveryId: string, sentAt: number): string =>
  JSON.stringify({ delivery: deliveryId, event, sentAt, alert: a })

/** The HTTP request for one attempt (DingTalk's signature carries the attempt's time). */
export function httpRequest(
  ch: Exclude<NotifyChannel, { type: 'email' }>,
  a: Alert,
  event: AlertEvent,
  deliveryId: string,
  now: number
): HttpRequest {
  const lang = ch.lang ?? 'zh'
  const json = { 'content-type': 'application/json; charset=utf-8' }
  switch (ch.type) {
    case 'webhook': {
      const body = webhookBody(a, event, deliveryId, now)
      return {
        url: ch.url,
        headers: {
          ...json,
          [SIGNATURE_HEADER]: signBody(ch.secret, body),
          'x-qingyun-event': event,
          'x-qingyun-delivery': deliveryId
        },
        body,
        checkErrcode: false
      }
    }
    case 'wecom':
      return {
        url: ch.url,
        headers: json,
        body: JSON.stringify({ msgtype: 'markdown', markdown: { content: markdown(a, event, lang) } }),
        checkErrcode: true
      }
    case 'dingtalk': {
      const url = new URL(ch.url)
      if (ch.secret !== undefined) {
        url.searchParams.set('timestamp', String(now))
        url.searchParams.set('sign', dingtalkSign(ch.secret, now))
      }
      return {
        url: url.toString(),
        headers: json,
        body: JSON.stringify({
          msgtype: 'markdown',
          markdown: { title: title(a, event, lang), text: markdown(a, event, lang) }
        }),
        checkErrcode: true
      }
    }
  }
}
