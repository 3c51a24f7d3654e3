// Alert notifications: the alert engine hands over its stored transitions; the rules of the
// notification file pick the channels; each channel has its own bounded queue and one sender
// that retries with backoff (lib/retry.ts). notify() only enqueues — a slow or dead endpoint
// never delays an alert evaluation, and never holds more than `queueMax` notifications: beyond
// that, new ones are recorded as dropped (docs/conventions.md, rule 15). What was sent, failed or
// dropped is kept in a bounded record (the last MAX_RECORDS), served by the REST API.
import { randomUUID } from 'node:crypto'
import type { AlertEvent, NotificationRecord, NotifyChannel, NotifyConfig, NotifyRule } from '../../contracts/notify.ts'
import type { Alert } from '../../contracts/ops.ts'
import type { Log } from '../../lib/log.ts'
import { retryInBackground, type Retry } from '../../lib/retry.ts'
import type { Transition } from '../alerts/engine.ts'
import type { Lang } from '../alerts/messages.ts'
import { httpRequest, mail, type HttpRequest, type MailMessage } from './formats.ts'

export const MAX_RECORDS = 1000

export type { Transition }

export type EmailChannel = Extract<NotifyChannel, { type: 'email' }>

export interface NotifierDeps {
  readonly config: NotifyConfig
  /** The alert as read (names, local times, message) in a language. */
  readonly present: () => (a: Alert, lang: Lang) => Alert
  readonly log: Log
  readonly now: () => number
  /** Per channel: notifications waiting (the one being sent included); more are dropped. */
  readonly queueMax: number
  /** Attempts per notification, the first included. */
  readonly maxAttempts: number
  /** The wait before the first retry; doubled after each failure, up to 32×. */
  readonly retryMs: number
  readonly sendHttp: (req: HttpRequest) => Promise<void>
  readonly sendMail: (ch: EmailChannel, msg: MailMessage) => Promise<void>
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<unknown>
}

export interface RecordFilter {
  readonly alertId?: string
  readonly channel?: string
  readonly state?: NotificationRecord['state']
}

export interface Notifier {
  /** Enqueue what the rules say about these transitions; returns at once. */
  notify(transitions: readonly Transition[]): void
  /** Newest first. */
  records(filter?: RecordFilter): NotificationRecord[]
  /** Resolves when every channel's queue is empty (tests, shutdown). */
  idle(): Promise<void>
  close(): void
}

const DEFAULT_EVENTS: readonly AlertEvent[] = ['opened', 'escalated']

export function ruleMatches(rule: NotifyRule, event: AlertEvent, a: Alert): boolean {
  return (
    (rule.events ?? DEFAULT_EVENTS).includes(event) &&
    (rule.severities === undefined || rule.severities.includes(a.severity)) &&
    (rule.types === undefined || rule.types.includes(a.type)) &&
    (rule.districts === undefined || (a.district != null && (rule.districts as readonly string[]).includes(a.district)))
  )
}

/** The failure text kept in the record: the error's message only, bounded; never a URL (it may hold a key). */
const reason = (err: unknown): string => String((err as Error)?.message ?? err).slice(0, 300)

export function createNotifier(deps: NotifierDeps): Notifier {
  const { config, log, now } = deps
  const channels = new Map(config.channels.map((c) => [c.id, c]))
  interface Job {
    readonly record: NotificationRecord
    readonly alert: Alert
  }
  const queues = new Map<string, Job[]>(config.channels.map((c) => [c.id, []]))
  const running = new Set<string>()
  // By id, oldest first (a Map keeps insertion order; an update keeps the record's place).
  const records = new Map<string, NotificationRecord>()
  const retries = new Set<Retry>()
  let idleWaiters: (() => void)[] = []
  let closed = false

  function keep(r: NotificationRecord): void {
    records.set(r.id, r)
    if (records.size > MAX_RECORDS) records.delete(records.keys().next().value!)
  }

  async function attempt(ch: NotifyChannel, job: Job): Promise<void> {
    const lang = ch.lang ?? 'zh'
    const a = job.alert
    if (ch.type === 'email') await deps.sendMail(ch, mail(a, job.record.event, lang))
    else await deps.sendHttp(httpRequest(ch, a, job.record.event, job.record.id, now()))
  }

  async function deliver(ch: NotifyChannel, job: Job): Promise<NotificationRecord> {
    let attempts = 1
    let last: unknown
    keep({ ...job.record, state: 'sending', attempts })
    try {
      await attempt(ch, job)
      return { ...job.record, state: 'sent', attempts, doneAt: now() }
    } catch (err) {
      last = err
    }
    if (deps.maxAttempts <= 1 || closed)
      return { ...job.record, state: 'failed', attempts, doneAt: now(), error: reason(last) }
    const retry: Retry = retryInBackground(
      async () => {
        attempts++
        keep({ ...job.record, state: 'sending', attempts, error: reason(last) })
        await attempt(ch, job)
      },
      {
        initialMs: deps.retryMs,
        maxMs: deps.retryMs * 32,
        onError: (err, nextDelayMs) => {
          last = err
          if (attempts >= deps.maxAttempts) retry.stop()
          else log.debug({ channel: ch.id, alertId: job.alert.id, attempts, nextDelayMs }, 'notification retry')
        },
        ...(deps.sleep ? { sleep: deps.sleep } : {})
      }
    )
    retries.add(retry)
    const ok = await retry.done
    retries.delete(retry)
    return ok
      ? { ...job.record, state: 'sent', attempts, doneAt: now(), error: null }
      : { ...job.record, state: 'failed', attempts, doneAt: now(), error: reason(last) }
  }

  async function drain(channelId: string): Promise<void> {
    const ch = channels.get(channelId)!
    const q = queues.get(channelId)!
    running.add(channelId)
    try {
      while (q.length > 0 && !closed) {
        const done = await deliver(ch, q[0]!)
        q.shift()
        keep(done)
        if (done.state === 'failed') {
          log.warn(
            { channel: ch.id, channelType: ch.type, alertId: done.alertId, attempts: done.attempts, error: done.error },
            'notification failed'
          )
        }
      }
    } finally {
      running.delete(channelId)
      if (running.size === 0) {
        const w = idleWaiters
        idleWaiters = []
        for (const f of w) f()
      }
    }
  }

  function notify(transitions: readonly Transition[]): void {
    if (closed || config.rules.length === 0 || transitions.length === 0) return
    let present: ((a: Alert, lang: Lang) => Alert) | undefined
    for (const t of transitions) {
      present ??= deps.present()
      // Rules match on the alert as read: its district comes from the registry.
      const read = present(t.alert, 'zh')
      const targets = new Set<string>()
      for (const rule of config.rules)
        if (ruleMatches(rule, t.event, read)) for (const c of rule.channels) targets.add(c)
      for (const id of targets) {
        const ch = channels.get(id)!
        const alert = (ch.lang ?? 'zh') === 'zh' ? read : present(t.alert, ch.lang ?? 'zh')
        const record: NotificationRecord = {
          id: randomUUID(),
          channel: ch.id,
          channelType: ch.type,
          alertId: t.alert.id,
          alertType: t.alert.type,
          event: t.event,
          state: 'queued',
          attempts: 0,
          queuedAt: now(),
          doneAt: null,
          error: null
        }
        const q = queues.get(id)!
        if (q.length >= deps.queueMax) {
          keep({ ...record, state: 'dropped', doneAt: record.queuedAt, error: `queue full (${deps.queueMax})` })
          log.warn(
            { channel: id, alertId: t.alert.id, queueMax: deps.queueMax },
            'notification dropped: channel queue full'
          )
          continue
        }
        keep(record)
        q.push({ record, alert })
        if (!running.has(id)) void drain(id)
      }
    }
  }

  return {
    notify,
    records(filter = {}) {
      return [...records.values()]
        .filter(
          (r) =>
            (filter.alertId === undefined || r.alertId === filter.alertId) &&
            (filter.channel === undefined || r.channel === filter.channel) &&
            (filter.state === undefined || r.state === filter.state)
        )
        .reverse()
    },
    idle: () => (running.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    close() {
      closed = true
      for (const r of retries) r.stop()
    }
  }
}
