// The real senders: HTTP with fetch (a timeout on every call), e-mail with nodemailer over SMTP.
// Errors name what failed, never the URL (WeCom and DingTalk keys are in it) nor a password.
import nodemailer, { type Transporter } from 'nodemailer'
import type { HttpRequest, MailMessage } from './formats.ts'
import type { EmailChannel } from './notifier.ts'

const MAX_RESPONSE_BYTES = 64 * 1024

export function httpSender(timeoutMs: number): (req: HttpRequest) => Promise<void> {
  return async (req) => {
    const res = await fetch(req.url, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs)
    })
    const text = (await res.text()).slice(0, MAX_RESPONSE_BYTES)
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`)
    if (!req.checkErrcode) return
    let errcode: unknown
    try {
      errcode = (JSON.parse(text) as { errcode?: unknown }).errcode
    } catch {
      throw new Error(`robot answered ${res.status} without JSON: ${text.slice(0, 200)}`)
    }
    if (errcode !== 0) throw new Error(`robot refused the message: ${text.slice(0, 200)}`)
  }
}

/** One pooled SMTP transport per channel, built on first use. */
export function mailSender(timeoutMs: number): {
  send: (ch: EmailChannel, msg: MailMessage) => Promise<void>
  close: () => void
} {
  const transports = new Map<string, Transporter>()
  function transport(ch: EmailChannel): Transporter {
    let t = transports.get(ch.id)
    if (!t) {
      t = nodemailer.createTransport({
        host: ch.smtp.host,
        port: ch.smtp.port,
        secure: ch.smtp.secure ?? false,
        ...(ch.smtp.user === undefined ? {} : { auth: { user: ch.smtp.user, pass: ch.smtp.pass ?? '' } }),
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs
      })
      transports.set(ch.id, t)
    }
    return t
  }
  return {
    async send(ch, msg) {
      await transport(ch).sendMail({ from: ch.from, to: ch.to, subject: msg.subject, text: msg.text })
    },
    close() {
      for (const t of transports.values()) t.close()
      transports.clear()
    }
  }
}
