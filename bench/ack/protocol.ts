// The messages between bench/ack.ts and its one load generator process (IPC over fork()).

export interface Credential {
  readonly username: string
  readonly password: string
}

export interface RoundSpec {
  readonly id: number
  readonly target: string
  readonly url: string
  readonly credentials: readonly Credential[]
  /** Publishes in flight per client (QoS 1, each awaiting its PUBACK). */
  readonly window: number
  readonly warmupMs: number
  readonly seconds: number
  /** The target's processes, whose CPU time over the measured window is reported per message. */
  readonly pids?: Readonly<Record<string, number>>
  /** Set: a rate-limited run at this many messages a second (all clients together). */
  readonly rate?: number
  /** Set: sample 1 in `every` acked messages and poll InfluxDB until each is visible. */
  readonly storeLag?: {
    readonly url: string
    readonly db: string
    /** An Authorization header for InfluxDB (the embedded influxd requires a login). */
    readonly authorization?: string
    readonly every: number
    readonly maxWaitMs: number
  }
}

export interface Quantiles {
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly max: number
}

export interface RoundResult {
  readonly id: number
  readonly target: string
  readonly seconds: number
  readonly acked: number
  readonly ackedPerS: number
  readonly targetRate: number | null
  /** Paced runs: messages due when every client's window was full (not sent). */
  readonly notSent: number
  readonly latencyMs: Quantiles
  readonly errors: number
  /** The generator's own CPU during the measured window, % of one core: near 100 it was the bottleneck. */
  readonly generatorCpuPct: number
  /**
   * CPU time of each of the target's processes over the measured window, µs per acked message:
   * what a message costs, steadier than msg/s on a shared machine.
   */
  readonly cpuUsPerMsg: Readonly<Record<string, number>>
  readonly storeLagMs: StoreLag | null
}

export interface StoreLag extends Quantiles {
  readonly samples: number
  /** Never seen within the wait, or not sampled because too many were pending. */
  readonly notSeen: number
  readonly queryErrors: number
  readonly pollMs: number
}

export type ToGenerator = { readonly type: 'round'; readonly spec: RoundSpec } | { readonly type: 'exit' }
export type FromGenerator =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly result: RoundResult }
  | { readonly type: 'error'; readonly id: number; readonly message: string }

export function quantiles(values: number[]): Quantiles {
  const s = Float64Array.from(values).sort()
  const q = (p: number): number => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))]!)
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: s.length === 0 ? NaN : s[s.length - 1]! }
}
