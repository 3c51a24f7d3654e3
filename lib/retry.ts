// Retry in the background with exponential backoff and a cap, until the attempt succeeds or the
// retry is stopped. For start-up work that must not hold the node down when a dependency is away
// (InfluxDB at start): the caller tries once itself, and on failure hands the rest to this.
import { setTimeout as sleepTimer } from 'node:timers/promises'

export interface RetryOptions {
  /** The wait before the first retry; each failure doubles it. */
  readonly initialMs: number
  /** The longest wait between two attempts. */
  readonly maxMs: number
  /** An attempt failed; the next one comes after `nextDelayMs`. */
  readonly onError?: (err: unknown, nextDelayMs: number) => void
  /** Waits `ms`, or ends early when `signal` aborts (its outcome then does not matter). */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<unknown>
}

export interface Retry {
  /** No attempt starts after this; a wait in progress ends at once. */
  stop(): void
  /** true once an attempt succeeded, false when stopped first. Never rejects. */
  readonly done: Promise<boolean>
}

const realSleep = (ms: number, signal: AbortSignal): Promise<unknown> =>
  sleepTimer(ms, undefined, { signal, ref: false })

/** Wait, attempt, and on failure wait twice as long (at most `maxMs`), until success or stop(). */
export function retryInBackground(attempt: () => Promise<unknown>, opts: RetryOptions): Retry {
  const sleep = opts.sleep ?? realSleep
  const abort = new AbortController()
  const run = async (): Promise<boolean> => {
    for (let delay = Math.min(opts.initialMs, opts.maxMs); ; delay = Math.min(delay * 2, opts.maxMs)) {
      await sleep(delay, abort.signal).catch(() => undefined)
      if (abort.signal.aborted) return false
      try {
        await attempt()
        return true
      } catch (err) {
        if (abort.signal.aborted) return false
        opts.onError?.(err, Math.min(delay * 2, opts.maxMs))
      }
    }
  }
  return { stop: () => abort.abort(), done: run() }
}
