/**
 * The clock: milliseconds since the epoch. Every component that reads the time takes it as
 * `now` (default `Date.now`), so tests run it on a fake clock (test/harness/clock.ts).
 */
export type Now = () => number

/** Timers, injected so the coalescer, streams, sessions and the model run on a fake clock in tests. */
export interface Scheduler {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** The clock and timers together, for pieces that both read the time and wait. */
export interface Timers extends Scheduler {
  now: Now
}

export const realTimers: Timers = {
  now: () => Date.now(),
  // unref: a pending flush or heartbeat never keeps a stopping process alive.
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout)
}
