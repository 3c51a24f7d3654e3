import { timestampMs } from '../contracts/device/index.ts'
import type { Fact, RejectionFact } from '../contracts/facts.ts'
import type { Issue, RejectionCode } from '../contracts/rejection.ts'
import { excerptBytes } from '../lib/excerpt.ts'
import { decoders } from './decode/index.ts'
import type { FactBase } from './decode/index.ts'
import { splitPayload } from './decode.ts'
import type { Inbound, Limits, RegistryLookup } from './types.ts'

export interface Rejected {
  readonly fact: RejectionFact
  readonly issues: readonly Issue[]
  /** Echoed to the device so it can match its buffer. */
  readonly ticketId?: string
}

export interface Processed {
  readonly accepted: readonly Fact[]
  readonly rejected: readonly Rejected[]
}

const EXCERPT_BYTES = 1024
const MAX_ISSUES_IN_MESSAGE = 5

/**
 * Decode, validate, normalise and enrich one PUBLISH. Pure: the same inbound message and
 * registry give the same facts. A bad object in a batch is rejected alone (conventions #8).
 */
export function processMessage(msg: Inbound, registry: RegistryLookup, limits: Limits): Processed {
  const reject = (code: RejectionCode, error: string, extra: Partial<RejectionFact> & { issues?: Issue[]; ticketId?: string }, excerpt: string): Rejected => {
    const { issues = [], ticketId, ...rest } = extra
    return {
      fact: { kind: 'rejection', deviceId: msg.deviceId, recvMs: msg.recvMs, code, msgKind: msg.kind, topic: msg.topic, error, excerpt, ...rest },
      issues,
      ...(ticketId === undefined ? {} : { ticketId })
    }
  }
  const whole = (code: RejectionCode, error: string): Processed => ({
    accepted: [],
    rejected: [reject(code, error, {}, excerptBytes(msg.payload, EXCERPT_BYTES))]
  })

  const device = registry.device(msg.deviceId)
  if (!device || !device.enabled) return whole('INGEST_E_DEVICE', `device ${msg.deviceId} is not registered or is disabled`)

  const split = splitPayload(msg.payload, limits.maxPayloadBytes)
  if (!split.ok) return whole(split.code, split.message)

  const decoder = decoders[msg.kind]
  const accepted: Fact[] = []
  const rejected: Rejected[] = []
  split.items.forEach((item, i) => {
    const index = split.batch ? i : undefined
    const echo = readableEcho(item, msg.recvMs, limits)
    const excerpt = (): string => excerptBytes(JSON.stringify(item) ?? String(item), EXCERPT_BYTES)
    const parsed = decoder.schema.safeParse(item)
    if (!parsed.success) {
      const issues = parsed.error.issues.map((iss) => ({ path: iss.path.map(String).join('.'), message: iss.message }))
      rejected.push(reject('INGEST_E_SCHEMA', summarise(issues), { index, ...echo, issues }, excerpt()))
      return
    }
    const value = parsed.data
    const ts = timestampMs(value.ts)
    const range = tsRangeError(ts, msg.recvMs, limits)
    if (range) {
      const issues = [{ path: 'ts', message: range }]
      rejected.push(reject('INGEST_E_TS_RANGE', `ts: ${range}`, { index, ...echo, ts: undefined, issues }, excerpt()))
      return
    }
    const base: FactBase = { deviceId: msg.deviceId, ts, recvMs: msg.recvMs, ...(value.seq === undefined ? {} : { seq: value.seq }) }
    // The dispatch table pairs each kind's schema with its own toFact.
    const fact = (decoder.toFact as (m: typeof value, b: FactBase, d: typeof device, r: RegistryLookup) => Fact | { error: string })(value, base, device, registry)
    if ('error' in fact) {
      rejected.push(reject('INGEST_E_DEVICE', fact.error, { index, ...echo, issues: [] }, excerpt()))
      return
    }
    accepted.push(fact)
  })
  return { accepted, rejected }
}

export function tsRangeError(ts: number, recvMs: number, limits: Limits): string | undefined {
  if (ts > recvMs + limits.tsMaxFutureMs) {
    return `${new Date(ts).toISOString()} is more than ${limits.tsMaxFutureMs / 60_000} min ahead of the broker clock (${new Date(recvMs).toISOString()})`
  }
  if (ts < recvMs - limits.tsMaxAgeMs) {
    return `${new Date(ts).toISOString()} is more than ${limits.tsMaxAgeMs / 86_400_000} days old`
  }
  return undefined
}

function summarise(issues: readonly Issue[]): string {
  const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
  const more = issues.length > MAX_ISSUES_IN_MESSAGE ? ` (+${issues.length - MAX_ISSUES_IN_MESSAGE} more)` : ''
  return shown.join('; ') + more
}

/** seq, ticketId and an in-range ts from an object that failed validation, when they can be read. */
function readableEcho(item: unknown, recvMs: number, limits: Limits): { seq?: number; ticketId?: string; ts?: number } {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return {}
  const o = item as Record<string, unknown>
  const out: { seq?: number; ticketId?: string; ts?: number } = {}
  if (typeof o.seq === 'number' && Number.isSafeInteger(o.seq) && o.seq >= 0) out.seq = o.seq
  if (typeof o.ticketId === 'string' && o.ticketId.length <= 64) out.ticketId = o.ticketId
  const ts = typeof o.ts === 'number' ? o.ts : typeof o.ts === 'string' ? Date.parse(o.ts) : NaN
  if (Number.isSafeInteger(ts) && !tsRangeError(ts, recvMs, limits)) out.ts = ts
  return out
}
