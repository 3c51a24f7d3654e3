import type { Logger } from 'pino'

// Who may open (or keep trying to open) MQTT connections: per remote address and per
// account (the MQTT username). Bounded maps, constant log messages, summaries instead of a
// line per attempt.

export interface AdmissionLimits {
  readonly maxConnectionsPerAddress: number
  readonly authFailLimit: number
  readonly authFailWindowMs: number
}

export interface Admission {
  /** A TCP/WebSocket connection arrived; false means refuse it (over the per-address bound). */
  openConnection(address: string): boolean
  closeConnection(address: string): void
  /** Whether this address or username failed too often in the current window. */
  throttled(address: string, username: string | undefined, nowMs: number): boolean
  authFailed(address: string, username: string | undefined, nowMs: number, reason: string): void
  /** Log the summaries of finished windows and forget them. */
  sweep(nowMs: number): void
  stats(): { refusedByAddress: number; throttledAttempts: number; authFailures: number }
}

interface Window {
  start: number
  failures: number
  throttled: number
}

/** Enough distinct addresses/usernames to cover a botnet's worth of guessing, at ~100 B each. */
const MAX_TRACKED = 100_000

export function createAdmission(limits: AdmissionLimits, log: Logger): Admission {
  const perAddress = new Map<string, number>()
  const failures = new Map<string, Window>()
  const counters = { refusedByAddress: 0, throttledAttempts: 0, authFailures: 0 }
  let refusedSinceLog = 0

  const windowOf = (key: string, nowMs: number): Window | undefined => {
    const w = failures.get(key)
    if (w && nowMs - w.start >= limits.authFailWindowMs) {
      summarise(key, w)
      failures.delete(key)
      return undefined
    }
    return w
  }
  const summarise = (key: string, w: Window): void => {
    if (w.failures > 1 || w.throttled > 0)
      log.warn(
        { key, failures: w.failures, refusedUnchecked: w.throttled, windowMs: limits.authFailWindowMs },
        'authentication failures in the last window'
      )
  }
  const fail = (key: string, nowMs: number): Window => {
    let w = windowOf(key, nowMs)
    if (!w) {
      if (failures.size >= MAX_TRACKED) {
        // Forget the oldest window; its key only gets a fresh allowance.
        const oldest = failures.keys().next().value as string
        failures.delete(oldest)
      }
      w = { start: nowMs, failures: 0, throttled: 0 }
      failures.set(key, w)
    }
    w.failures++
    return w
  }
  const over = (key: string, nowMs: number): Window | undefined => {
    const w = windowOf(key, nowMs)
    return w && w.failures >= limits.authFailLimit ? w : undefined
  }

  return {
    openConnection(address) {
      const n = perAddress.get(address) ?? 0
      if (n >= limits.maxConnectionsPerAddress) {
        counters.refusedByAddress++
        // One line per power of two refusals: a flood is visible without one line per try.
        if ((++refusedSinceLog & (refusedSinceLog - 1)) === 0)
          log.warn(
            { address, limit: limits.maxConnectionsPerAddress, refused: counters.refusedByAddress },
            'connection refused: too many from this address'
          )
        return false
      }
      perAddress.set(address, n + 1)
      return true
    },
    closeConnection(address) {
      const n = (perAddress.get(address) ?? 1) - 1
      if (n <= 0) perAddress.delete(address)
      else perAddress.set(address, n)
    },
    throttled(address, username, nowMs) {
      const w = over(`addr:${address}`, nowMs) ?? (username === undefined ? undefined : over(`user:${username}`, nowMs))
      if (!w) return false
      w.throttled++
      counters.throttledAttempts++
      return true
    },
    authFailed(address, username, nowMs, reason) {
      counters.authFailures++
      const a = fail(`addr:${address}`, nowMs)
      const u = username === undefined ? undefined : fail(`user:${username}`, nowMs)
      // The first failure of a window is logged in full; the rest go into the window's summary.
      if (a.failures === 1 || u?.failures === 1) log.warn({ username, address, reason }, 'connection refused')
      if (a.failures === limits.authFailLimit || u?.failures === limits.authFailLimit) {
        log.warn(
          { username, address, failures: Math.max(a.failures, u?.failures ?? 0), windowMs: limits.authFailWindowMs },
          'authentication failures over the limit; refusing without checking until the window ends'
        )
      }
    },
    sweep(nowMs) {
      for (const key of [...failures.keys()]) windowOf(key, nowMs)
    },
    stats: () => ({ ...counters })
  }
}
