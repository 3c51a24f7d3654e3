// A keyed limiter of authentication failures, shared by REST and the websocket.
//
// Why not @fastify/rate-limit: it counts every request a route receives, before the handler
// runs, and has no way to count only the ones that end in 401; successful calls must not be
// limited. It would also be a second, HTTP-only mechanism the websocket could not share. This
// is a fixed window per client key (the IP): after `max` failures in `windowMs`, the key is
// refused (429, Retry-After) until the window ends, without looking at the token, so a blocked
// client cannot keep guessing. Memory is bounded: at most `maxKeys` keys, the oldest evicted.
// Pure given the clock.

export interface FailureLimiterOptions {
  /** Failures allowed per key and window (default 10). */
  max?: number
  /** Window length (default one minute). */
  windowMs?: number
  /** Keys remembered at most (default 10 000); the oldest window is forgotten first. */
  maxKeys?: number
  now?: () => number
}

export interface FailureLimiter {
  /** Whether `key` is blocked now, and for how many whole seconds more. */
  check(key: string): { blocked: false } | { blocked: true; retryAfterS: number }
  /** Counts a failure of `key`; returns the check after counting. */
  fail(key: string): { blocked: false } | { blocked: true; retryAfterS: number }
  /** Keys currently remembered (for tests and metrics). */
  size(): number
}

interface Window {
  start: number
  failures: number
}

export function createFailureLimiter(opts: FailureLimiterOptions = {}): FailureLimiter {
  const { max = 10, windowMs = 60_000, maxKeys = 10_000, now: clock = Date.now } = opts
  // Insertion order = order of each key's window start, so the first entry is the oldest.
  const windows = new Map<string, Window>()

  function current(key: string, now: number): Window | undefined {
    const w = windows.get(key)
    if (w && now - w.start >= windowMs) {
      windows.delete(key)
      return undefined
    }
    return w
  }

  function state(w: Window | undefined, now: number): ReturnType<FailureLimiter['check']> {
    if (!w || w.failures < max) return { blocked: false }
    return { blocked: true, retryAfterS: Math.max(1, Math.ceil((w.start + windowMs - now) / 1000)) }
  }

  return {
    check(key) {
      const now = clock()
      return state(current(key, now), now)
    },
    fail(key) {
      const now = clock()
      let w = current(key, now)
      if (!w) {
        // Expired windows sit at the front; drop them, then the oldest live ones if still full.
        for (const [k, old] of windows) {
          if (windows.size < maxKeys && now - old.start < windowMs) break
          windows.delete(k)
        }
        w = { start: now, failures: 0 }
        windows.set(key, w)
      }
      w.failures++
      return state(w, now)
    },
    size: () => windows.size
  }
}
