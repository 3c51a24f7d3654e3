import { z } from 'zod'
import {
  Alert,
  BinStatus,
  BinView,
  CitySummary,
  HourPoint,
  Severity,
  SiteBalance,
  VehicleState,
  VehicleView
} from './ops.ts'
import { Exceptions } from './opsCentre.ts'

// ─────────────────────────────────────────────────────────────────────────────────────────
// Protocol v1: GET /api/v1/ws. One catalog per direction (docs/conventions.md, rule 1).
// Semantics (auth, seq, resume, heartbeats, close codes) are documented in
// dashboard-api/ws/README.md and in the AsyncAPI document generated from these schemas.

export const WS_PROTOCOL = 'qingyun.ws.v1'
export const WS_PATH = '/api/v1/ws'

/** Close codes the server uses (4000–4999 are for applications, RFC 6455 §7.4.2). */
export const WsCloseCode = {
  /** No or invalid bearer token, or no `auth` message within the auth timeout. */
  unauthorized: 4401,
  /** The client's send queue passed its limit: it does not read fast enough. */
  tooSlow: 4008,
  /** Nothing received from the client for 3 heartbeat intervals. */
  idle: 4408,
  /** Too many failed authentications from this address; the reason says when to retry. */
  rateLimited: 4429,
  /** The server is shutting down (RFC 6455 "going away"). */
  goingAway: 1001
} as const

export const WsErrorCode = z.enum([
  /** Not JSON, or not a valid client message; `message` names the field. */
  'WS_E_BAD_MESSAGE',
  /** The role may not subscribe. */
  'WS_E_FORBIDDEN',
  /** `subscribe` with an id this connection already uses. */
  'WS_E_DUPLICATE_ID',
  /** `unsubscribe` of an id this connection does not use. */
  'WS_E_UNKNOWN_ID',
  /** `site` channel for a site the registry does not have. */
  'WS_E_NOT_FOUND',
  /** Too many subscriptions on this connection, or streams on this server. */
  'WS_E_LIMIT',
  /** The server could not read the view; the subscription is dropped, subscribe again. */
  'WS_E_INTERNAL'
])
export type WsErrorCode = z.infer<typeof WsErrorCode>

const Key = z.string().min(1).max(64)
const SubId = z.string().min(1).max(64).describe('Chosen by the client; unique among its open subscriptions.')

export const Resume = z.strictObject({
  /** The seq of the last snapshot or delta the client applied for this stream. */
  seq: z.number().int().nonnegative()
})
export type Resume = z.infer<typeof Resume>

export const ChannelName = z.enum(['city', 'sites', 'site', 'bins', 'vehicles', 'alerts', 'exceptions'])
export type ChannelName = z.infer<typeof ChannelName>

export const NoParams = z.strictObject({})
export const SiteParams = z.strictObject({ siteId: Key })
export type SiteParams = z.infer<typeof SiteParams>
export const BinParams = z.strictObject({
  status: BinStatus.optional(),
  district: Key.optional(),
  stream: Key.optional()
})
export type BinParams = z.infer<typeof BinParams>
export const VehicleParams = z.strictObject({
  state: VehicleState.optional(),
  district: Key.optional(),
  type: Key.optional()
})
export type VehicleParams = z.infer<typeof VehicleParams>
export const AlertParams = z.strictObject({
  state: z.enum(['open', 'resolved']).optional(),
  severity: Severity.optional(),
  /** Language of messages and names; default zh (the page's). */
  lang: z.enum(['zh', 'en']).optional()
})
export type AlertParams = z.infer<typeof AlertParams>

/** Params schema per channel (the stream is channel + params). */
export const channelParams = {
  city: NoParams,
  sites: NoParams,
  site: SiteParams,
  bins: BinParams,
  vehicles: VehicleParams,
  alerts: AlertParams,
  exceptions: NoParams
} as const satisfies Record<ChannelName, z.ZodType>
export type ChannelParams = { [C in ChannelName]: z.infer<(typeof channelParams)[C]> }

const subscribeTo = <C extends ChannelName, P extends z.ZodType>(channel: C, params: P, optionalParams: boolean) =>
  z.strictObject({
    type: z.literal('subscribe'),
    id: SubId,
    channel: z.literal(channel),
    params: optionalParams ? params.optional() : params,
    resume: Resume.optional()
  })

// ── client → server ──

export const AuthMessage = z.strictObject({ type: z.literal('auth'), token: z.string().min(1).max(512) })
export type AuthMessage = z.infer<typeof AuthMessage>

export const SubscribeMessage = z.discriminatedUnion('channel', [
  subscribeTo('city', NoParams, true),
  subscribeTo('sites', NoParams, true),
  subscribeTo('site', SiteParams, false),
  subscribeTo('bins', BinParams, true),
  subscribeTo('vehicles', VehicleParams, true),
  subscribeTo('alerts', AlertParams, true),
  subscribeTo('exceptions', NoParams, true)
])
export type SubscribeMessage = z.infer<typeof SubscribeMessage>

export const UnsubscribeMessage = z.strictObject({ type: z.literal('unsubscribe'), id: SubId })
export type UnsubscribeMessage = z.infer<typeof UnsubscribeMessage>

export const PingMessage = z.strictObject({ type: z.literal('ping') })
export type PingMessage = z.infer<typeof PingMessage>

export const ClientMessage = z.discriminatedUnion('type', [
  AuthMessage,
  SubscribeMessage,
  UnsubscribeMessage,
  PingMessage
])
export type ClientMessage = z.infer<typeof ClientMessage>

// ── server → client ──

export const SiteData = z.object({
  /** null only if the site left the registry. */
  balance: SiteBalance.nullable(),
  hourly: z.array(HourPoint)
})
export type SiteData = z.infer<typeof SiteData>

const itemsOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) })
const upsertsOf = <T extends z.ZodType>(item: T, key: string) =>
  z.object({
    /** The full current view of each item that changed: apply as upserts. */
    items: z.array(item),
    /** Keys of items that left the (filtered) set: delete them. */
    removed: z.array(z.string()).describe(`${key} of items that left the set`)
  })

/** Per channel: the snapshot's data and a delta's data. Deltas are full-value upserts. */
export const channelData = {
  city: { snapshot: CitySummary, delta: CitySummary },
  sites: { snapshot: itemsOf(SiteBalance), delta: upsertsOf(SiteBalance, 'siteId') },
  site: { snapshot: SiteData, delta: SiteData },
  bins: { snapshot: itemsOf(BinView), delta: upsertsOf(BinView, 'binId') },
  vehicles: { snapshot: itemsOf(VehicleView), delta: upsertsOf(VehicleView, 'vehicleId') },
  alerts: { snapshot: itemsOf(Alert), delta: upsertsOf(Alert, 'id') },
  exceptions: { snapshot: Exceptions, delta: Exceptions }
} as const satisfies Record<ChannelName, { snapshot: z.ZodType; delta: z.ZodType }>
export type ChannelData = {
  [C in ChannelName]: {
    snapshot: z.infer<(typeof channelData)[C]['snapshot']>
    delta: z.infer<(typeof channelData)[C]['delta']>
  }
}

const Seq = z
  .number()
  .int()
  .nonnegative()
  .describe('Stream sequence number: consecutive deltas of a stream have consecutive seqs.')

const snapshotOf = <C extends ChannelName>(channel: C) =>
  z.object({
    type: z.literal('snapshot'),
    id: SubId,
    channel: z.literal(channel),
    seq: Seq,
    data: channelData[channel].snapshot
  })
const deltaOf = <C extends ChannelName>(channel: C) =>
  z.object({
    type: z.literal('delta'),
    id: SubId,
    channel: z.literal(channel),
    seq: Seq,
    data: channelData[channel].delta
  })

export const WelcomeMessage = z.object({
  type: z.literal('welcome'),
  protocol: z.literal(WS_PROTOCOL),
  user: z.string(),
  role: z.enum(['viewer', 'operator', 'admin']),
  /** The server sends a heartbeat this often; send something (e.g. ping) at least every 3×. */
  heartbeatMs: z.number().int().positive(),
  /** Deltas of a stream are at most this often. */
  flushMs: z.number().int().positive()
})
export type WelcomeMessage = z.infer<typeof WelcomeMessage>

export const SnapshotMessage = z.discriminatedUnion('channel', [
  snapshotOf('city'),
  snapshotOf('sites'),
  snapshotOf('site'),
  snapshotOf('bins'),
  snapshotOf('vehicles'),
  snapshotOf('alerts'),
  snapshotOf('exceptions')
])
export type SnapshotMessage = z.infer<typeof SnapshotMessage>

export const DeltaMessage = z.discriminatedUnion('channel', [
  deltaOf('city'),
  deltaOf('sites'),
  deltaOf('site'),
  deltaOf('bins'),
  deltaOf('vehicles'),
  deltaOf('alerts'),
  deltaOf('exceptions')
])
export type DeltaMessage = z.infer<typeof DeltaMessage>

/** A resume was accepted: the deltas fromSeq+1 … seq follow (none when equal); no snapshot. */
export const ResumedMessage = z.object({
  type: z.literal('resumed'),
  id: SubId,
  channel: ChannelName,
  fromSeq: Seq,
  seq: Seq
})
export type ResumedMessage = z.infer<typeof ResumedMessage>

export const HeartbeatMessage = z.object({ type: z.literal('heartbeat'), ts: z.number().int() })
export type HeartbeatMessage = z.infer<typeof HeartbeatMessage>

export const ErrorMessage = z.object({
  type: z.literal('error'),
  code: WsErrorCode,
  message: z.string(),
  id: SubId.optional()
})
export type ErrorMessage = z.infer<typeof ErrorMessage>

export const PongMessage = z.object({ type: z.literal('pong') })
export type PongMessage = z.infer<typeof PongMessage>

export const ServerMessageV1 = z.discriminatedUnion('type', [
  WelcomeMessage,
  SnapshotMessage,
  DeltaMessage,
  ResumedMessage,
  HeartbeatMessage,
  ErrorMessage,
  PongMessage
])
export type ServerMessageV1 = z.infer<typeof ServerMessageV1>
