import { timestampMs } from '../contracts/device/index.ts'
import type { Fact, RejectionFact } from '../contracts/facts.ts'
import type { Device } from '../contracts/registry.ts'
import type { Issue, RejectionCode } from '../contracts/rejection.ts'
import { excerptBytes } from '../lib/excerpt.ts'
import { decoders } from './decode/index.ts'
import type { FactBase } from './decode/index.ts'
import { splitPayload, type Split } from './payload.ts'
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
  /** Objects the payload carried: accepted + rejected, or 1 when the whole payload was refused. */
  readonly objects: number
}

const EXCERPT_BYTES = 1024
const MAX_ISSUES_IN_MESSAGE = 5

/**
 * Decode, validate, normalise and enrich one PUBLISH. Pure: the same inbound message and
 * registry give the same facts. A bad object in a batch is rejected alone (docs/conventions.md, rule 8).
 */
export function processMessage(msg: Inbound, registry: RegistryLookup, limits: Limits): Processed {
  let split: Split
  let device: Device | undefined
  try {
    device = registry.device(msg.deviceId)
    if (!device || !device.enabled) {
      return whole(msg, 'INGEST_E_DEVICE', `device ${msg.deviceId} is not registered or is disabled`)
    }
    split = splitPayload(msg.payload, limits.maxPayloadBytes, limits.maxJsonDepth)
  } catch (err) {
    return whole(msg, 'INGEST_E_INTERNAL', internalError(err))
  }
  if (!split.ok) return whole(msg, split.code, split.message)

  const accepted: Fact[] = []
  const rejected: Rejected[] = []
  const known = device
  split.items.forEach((item, i) => {
    const index = split.batch ? i : undefined
    // Nothing one object does may take the rest of its message down with it: a throw here is
    // this object's rejection (INGEST_E_INTERNAL), and the message is still acknowledged.
    try {
      const out = processObject(msg, item, index, known, registry, limits)
      if ('kind' in out) accepted.push(out)
      else rejected.push(out)
    } catch (err) {
      let echo: Echo = {}
      try {
        echo = readableEcho(item, msg.recvMs, limits)
      } catch {
        // the echo is a courtesy; the rejection stands without it
      }
      rejected.push(
        reject(msg, 'INGEST_E_INTERNAL', internalError(err), { index, ...echo, issues: [] }, safeExcerpt(item))
      )
    }
  })
  return { accepted, rejected, objects: split.items.length }
}

type Extra = Partial<RejectionFact> & { issues?: Issue[]; ticketId?: string }

// Module-level, not closures over the message: made per message, each closure is an allocation
// on the hot path (and, where tsx's name-keeping helper runs, a call of it).
function reject(msg: Inbound, code: RejectionCode, error: string, extra: Extra, excerpt: string): Rejected {
  const { issues = [], ticketId, ...rest } = extra
  return {
    fact: {
      kind: 'rejection',
      deviceId: msg.deviceId,
      recvMs: msg.recvMs,
      code,
      msgKind: msg.kind,
      topic: msg.topic,
      error,
      excerpt,
      ...rest
    },
    issues,
    ...(ticketId === undefined ? {} : { ticketId })
  }
}

/** The whole message rejected as one object. */
const whole = (msg: Inbound, code: RejectionCode, error: string): Processed => ({
  accepted: [],
  objects: 1,
  rejected: [reject(msg, code, error, {}, excerptBytes(msg.payload, EXCERPT_BYTES))]
})
type Echo = { seq?: number; ticketId?: string; ts?: number }

function processObject(
  msg: Inbound,
  item: unknown,
  index: number | undefined,
  device: Device,
  registry: RegistryLookup,
  limits: Limits
): Fact | Rejected {
  const decoder = decoders[msg.kind]
  const echo = readableEcho(item, msg.recvMs, limits)
  const parsed = decoder.schema.safeParse(item)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((iss) => ({ path: iss.path.map(String).join('.'), message: iss.message }))
    return reject(msg, 'INGEST_E_SCHEMA', summarise(issues), { index, ...echo, issues }, safeExcerpt(item))
  }
  const value = parsed.data
  const ts = timestampMs(value.ts)
  const range = tsRangeError(ts, msg.recvMs, limits)
  if (range) {
    const issues = [{ path: 'ts', message: range }]
    return reject(
      msg,
      'INGEST_E_TS_RANGE',
      `ts: ${range}`,
      { index, ...echo, ts: undefined, issues },
      safeExcerpt(item)
    )
  }
  const base: FactBase = {
    deviceId: msg.deviceId,
    ts,
    recvMs: msg.recvMs,
    ...(value.seq === undefined ? {} : { seq: value.seq })
  }
  // The dispatch table pairs each kind's schema with its own toFact.
  const fact = (
    decoder.toFact as (m: typeof value, b: FactBase, d: Device, r: RegistryLookup) => Fact | { error: string }
  )(value, base, device, registry)
  if ('error' in fact)
    return reject(msg, 'INGEST_E_DEVICE', fact.error, { index, ...echo, issues: [] }, safeExcerpt(item))
  return fact
}

/**
 * Why `ts` is out of the accepted window, or undefined. Any number is safe here: the window is
 * checked on numbers first, and only a time inside the Date range (±8.64e15 ms) is formatted.
 */
export function tsRangeError(ts: number, recvMs: number, limits: Limits): string | undefined {
  if (!Number.isFinite(ts)) return `${ts} is not a time`
  if (ts > recvMs + limits.tsMaxFutureMs) {
    return `${iso(ts)} is more than ${limits.tsMaxFutureMs / 60_000} min ahead of the broker clock (${iso(recvMs)})`
  }
  if (ts < recvMs - limits.tsMaxAgeMs) {
    return `${iso(ts)} is more than ${limits.tsMaxAgeMs / 86_400_000} days old`
  }
  return undefined
}

/** ECMAScript dates span ±8.64e15 ms around the epoch; `new Date(x).toISOString()` throws beyond. */
const MAX_DATE_MS = 8_640_000_000_000_000
const iso = (ms: number): string =>
  Math.abs(ms) <= MAX_DATE_MS ? new Date(ms).toISOString() : `${ms} ms since the epoch`

const internalError = (err: unknown): string => {
  const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  return `ingest failed on this input (${why}); it is kept as a rejection record`.slice(0, 500)
}

function safeExcerpt(item: unknown): string {
  try {
    return excerptBytes(JSON.stringify(item) ?? String(item), EXCERPT_BYTES)
  } catch {
    return ''
  }
}

function summarise(issues: readonly Issue[]): string {
  const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
  const more = issues.length > MAX_ISSUES_IN_MESSAGE ? ` (+${issues.length - MAX_ISSUES_IN_MESSAGE} more)` : ''
  return shown.join('; ') + more
}

/** seq, ticketId and an in-range ts from an object that failed validation, when they can be read. */
function readableEcho(item: unknown, recvMs: number, limits: Limits): Echo {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return {}
  const o = item as Record<string, unknown>
  const out: Echo = {}
  if (typeof o.seq === 'number' && Number.isSafeInteger(o.seq) && o.seq >= 0) out.seq = o.seq
  if (typeof o.ticketId === 'string' && o.ticketId.length <= 64) out.ticketId = o.ticketId
  const ts = typeof o.ts === 'number' ? o.ts : typeof o.ts === 'string' ? Date.parse(o.ts) : NaN
  if (Number.isSafeInteger(ts) && !tsRangeError(ts, recvMs, limits)) out.ts = ts
  return out
}
