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
  streamIdleMs: z
    .number()
    .int()
    .min(0)
    .default(10 * 60_000),
  maxStreams: z.number().int().min(1).default(1_000),
  maxSubscriptions: z.number().int().min(1).default(64),
  highWaterBytes: z
    .number()
    .int()
    .min(1)
    .default(256 * 1024),
  maxQueuedMessages: z.number().int().min(1).default(1_000),
  /**
   * Bytes waiting for one client at most (socket buffer + queue, snapshots included); past it
   * the connection is closed 4008 (QINGYUN_WS_MAX_BUFFERED_BYTES). 2 MiB holds the sample
   * city's largest snapshot (bins, 2,400 of them) several times over.
   */
  maxBufferedBytes: z
    .number()
    .int()
    .min(1)
    .default(2 * 1024 * 1024),
  /** A connection the server closed is destroyed after this long if the close handshake has not
   *  finished: a client that does not read never reads the close frame either. */
  closeGraceMs: z.number().int().min(0).default(2_000),
  /** Open connections per client address (QINGYUN_WS_MAX_CONNECTIONS_PER_ADDRESS); more: 1008. */
  maxConnectionsPerAddress: z.number().int().min(1).default(64)
})
export type WsOptions = z.infer<typeof WsOptions>
export type WsOptionsInput = z.input<typeof WsOptions>
