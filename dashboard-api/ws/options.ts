import { z } from 'zod'

/** Tunables of the websocket protocol; defaults suit an operations centre's big screens. */
export const WsOptions = z.object({
  /** Deltas of one stream at most this often. */
  flushMs: z.number().int().min(10).default(250),
  /** Server heartbeat interval; a client silent for 3× this is closed (4408). */
  heartbeatMs: z.number().int().min(100).default(15_000),
  /** Time to send {type:"auth"} when the upgrade carried no Authorization header. */
  authTimeoutMs: z.number().int().min(100).default(5_000),
  /** Recent deltas kept per stream for resume (512 ≈ 2 min of deltas at 4/s; longer when quiet). */
  ringSize: z.number().int().min(1).default(512),
  /** A stream nobody subscribes to keeps following the model this long, for resumes. */
  streamIdleMs: z.number().int().min(0).default(10 * 60_000),
  maxStreams: z.number().int().min(1).default(1_000),
  maxSubscriptions: z.number().int().min(1).default(64),
  highWaterBytes: z.number().int().min(1).default(256 * 1024),
  maxQueuedMessages: z.number().int().min(1).default(1_000),
  maxQueuedBytes: z.number().int().min(1).default(4 * 1024 * 1024)
})
export type WsOptions = z.infer<typeof WsOptions>
export type WsOptionsInput = z.input<typeof WsOptions>
