// Notifications against local receivers on real sockets: an HTTP server on 127.0.0.1 that checks
// the webhook's HMAC and the WeCom / DingTalk robot formats (DingTalk's 加签 included), and an
// SMTP server (smtp-server) that receives the e-mail nodemailer sends.
import { createHmac } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { SMTPServer } from 'smtp-server'
import { afterEach, describe, expect, it } from 'vitest'
import { NotifyConfig } from '../../contracts/notify.ts'
import type { Alert } from '../../contracts/ops.ts'
import { testRegistry } from '../../test/fixtures/registry.ts'
import { openAlert } from '../alerts/lifecycle.ts'
import { createPresenter } from '../alerts/present.ts'
import { createNotifier, type NotifierDeps } from './notifier.ts'
import { httpSender, mailSender } from './transports.ts'

const log = pino({ level: 'silent' })
const T0 = Date.parse('2026-06-15T10:00:00+08:00')
const { registry } = testRegistry()
const overflow: Alert = openAlert(
  {
    type: 'bin-overflow',
    severity: 'critical',
    subject: { kind: 'bin', id: 'bin-1' },
    message: 'stored',
    details: { fillPct: 125, limitPct: 100, district: '梁溪', stream: 'kitchen', lastReadingAt: T0 }
  },
  T0
)

interface Received {
  readonly path: string
  readonly headers: IncomingMessage['headers']
  readonly body: string
}
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

/** A receiver on 127.0.0.1; `answer` decides each response (default 200 `{"errcode":0}`). */
async function receiver(answer: (r: Received, n: number, res: ServerResponse) => void = defaultAnswer) {
  const got: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const r = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      got.push(r)
      answer(r, got.length, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise((resolve) => server.close(resolve)).then(() => server.closeAllConnections()))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got }
}
function defaultAnswer(_r: Received, _n: number, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0,"errmsg":"ok"}')
}

function notifier(config: unknown, over: Partial<NotifierDeps> = {}) {
  const mail = mailSender(5_000)
  cleanups.push(async () => mail.close())
  const n = createNotifier({
    config: NotifyConfig.parse(config),
    present: () => createPresenter(registry, 'Asia/Shanghai'),
    log,
    now: Date.now,
    queueMax: 100,
    maxAttempts: 3,
    retryMs: 5,
    sendHttp: httpSender(5_000),
    sendMail: mail.send,
    ...over
  })
  cleanups.push(async () => n.close())
  return n
}

describe('notifications', () => {
  it('webhook: JSON body signed X-Qingyun-Signature: sha256=HMAC(secret, body); the record says sent', async () => {
    const r = await receiver()
    const secret = 'webhook-secret-1'
    const n = notifier({
      channels: [{ id: 'ops', type: 'webhook', url: `${r.url}/hook`, secret }],
      rules: [{ channels: ['ops'], severities: ['critical'] }]
    })
    n.notify([{ event: 'opened', alert: overflow }])
    await n.idle()
    expect(r.got).toHaveLength(1)
    const [req] = r.got
    const expected = `sha256=${createHmac('sha256', secret).update(req!.body).digest('hex')}`
    expect(req!.headers['x-qingyun-signature']).toBe(expected)
    const body = JSON.parse(req!.body)
    expect(body).toMatchObject({
      event: 'opened',
      alert: {
        id: overflow.id,
        type: 'bin-overflow',
        district: '梁溪',
        message: '梁溪区厨余垃圾桶 1 号已满溢：满度 125%'
      }
    })
    expect(n.records()).toMatchObject([
      { channel: 'ops', alertId: overflow.id, event: 'opened', state: 'sent', attempts: 1 }
    ])
    // Rules filter: a warning does not go to a critical-only channel.
    n.notify([{ event: 'opened', alert: { ...overflow, id: 'w', severity: 'warning', type: 'bin-near-full' } }])
    await n.idle()
    expect(r.got).toHaveLength(1)
  })

  it('WeCom and DingTalk group robots: markdown msgtype; DingTalk signed with timestamp and sign', async () => {
    const r = await receiver()
    const secret = 'SECdingtalk-test-secret'
    const n = notifier({
      channels: [
        { id: 'wecom', type: 'wecom', url: `${r.url}/cgi-bin/webhook/send?key=k1` },
        { id: 'ding', type: 'dingtalk', url: `${r.url}/robot/send?access_token=t1`, secret }
      ],
      rules: [{ channels: ['wecom', 'ding'] }]
    })
    n.notify([{ event: 'opened', alert: overflow }])
    await n.idle()
    const wecom = r.got.find((g) => g.path.startsWith('/cgi-bin'))!
    const wb = JSON.parse(wecom.body)
    expect(wb.msgtype).toBe('markdown')
    expect(wb.markdown.content).toContain('梁溪区厨余垃圾桶 1 号已满溢：满度 125%')
    expect(wb.markdown.content).toContain('2026-06-15 10:00:00')

    const ding = r.got.find((g) => g.path.startsWith('/robot'))!
    const url = new URL(ding.path, r.url)
    expect(url.searchParams.get('access_token')).toBe('t1')
    const ts = url.searchParams.get('timestamp')!
    expect(Math.abs(Number(ts) - Date.now())).toBeLessThan(3_600_000) // DingTalk refuses older than 1 h
    const sign = createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64')
    expect(url.searchParams.get('sign')).toBe(sign)
    const db = JSON.parse(ding.body)
    expect(db.msgtype).toBe('markdown')
    expect(db.markdown.title).toContain('严重')
    expect(db.markdown.text).toContain('满溢')
    expect(n.records().map((x) => x.state)).toEqual(['sent', 'sent'])
  })

  it('retries with backoff until the endpoint takes it; a robot errcode ≠ 0 fails after the last attempt', async () => {
    const flaky = await receiver((_r, i, res) =>
      i < 3 ? res.writeHead(503).end('busy') : res.writeHead(200).end('{"errcode":0}')
    )
    const refusing = await receiver((_r, _i, res) =>
      res.writeHead(200).end('{"errcode":310000,"errmsg":"sign not match"}')
    )
    const n = notifier({
      channels: [
        { id: 'flaky', type: 'wecom', url: `${flaky.url}/x` },
        { id: 'refusing', type: 'dingtalk', url: `${refusing.url}/x` }
      ],
      rules: [{ channels: ['flaky', 'refusing'] }]
    })
    n.notify([{ event: 'opened', alert: overflow }])
    await n.idle()
    expect(n.records({ channel: 'flaky' })).toMatchObject([{ state: 'sent', attempts: 3 }])
    expect(n.records({ channel: 'refusing' })).toMatchObject([
      { state: 'failed', attempts: 3, error: expect.stringContaining('310000') }
    ])
    expect(refusing.got).toHaveLength(3)
    // The record never carries the endpoint (its key).
    expect(JSON.stringify(n.records())).not.toContain('127.0.0.1')
  })

  it('a dead endpoint holds at most queueMax; notify() returns at once and the rest are recorded as dropped', async () => {
    const held: ServerResponse[] = []
    const dead = await receiver((_r, _i, res) => void held.push(res))
    cleanups.push(async () => held.forEach((res) => res.destroy()))
    const n = notifier(
      { channels: [{ id: 'dead', type: 'wecom', url: `${dead.url}/x` }], rules: [{ channels: ['dead'] }] },
      { queueMax: 3 }
    )
    const alerts = Array.from({ length: 10 }, (_, i) => ({
      event: 'opened' as const,
      alert: { ...overflow, id: `a${i}` }
    }))
    n.notify(alerts)
    const states = n.records().map((r) => r.state)
    expect(states.filter((s) => s === 'dropped')).toHaveLength(7)
    expect(states.filter((s) => s === 'queued' || s === 'sending')).toHaveLength(3)
  })

  it('e-mail over SMTP to a local receiver', async () => {
    const mails: { from: string; to: string[]; data: string }[] = []
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, cb) {
        const chunks: Buffer[] = []
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            data: Buffer.concat(chunks).toString('utf8')
          })
          cb()
        })
      }
    })
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => smtp.close(() => resolve(undefined))))
    const port = (smtp.server.address() as AddressInfo).port
    const n = notifier({
      channels: [
        {
          id: 'mail',
          type: 'email',
          smtp: { host: '127.0.0.1', port },
          from: 'qingyun@example.test',
          to: ['duty@example.test'],
          lang: 'en'
        }
      ],
      rules: [{ channels: ['mail'], types: ['bin-overflow'] }]
    })
    n.notify([{ event: 'opened', alert: overflow }])
    await n.idle()
    expect(n.records()).toMatchObject([{ channel: 'mail', state: 'sent' }])
    expect(mails).toHaveLength(1)
    expect(mails[0]).toMatchObject({ from: 'qingyun@example.test', to: ['duty@example.test'] })
    expect(mails[0]!.data).toContain('kitchen waste bin no. 1 in Liangxi District is overflowing: fill 125 %')
    expect(mails[0]!.data).toMatch(/Subject: \[Qingyun\] New alert \[CRITICAL\]/)
  })
})
