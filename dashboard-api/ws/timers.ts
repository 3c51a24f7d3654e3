/** Clock and timers, injected so the coalescer, streams and sessions run on a fake clock in tests. */
export interface Timers {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const realTimers: Timers = {
  now: () => Date.now(),
  // unref: a pending flush or heartbeat never keeps a stopping process alive.
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout)
}

/** A manual clock for tests: `advance(ms)` runs due timers in order. */
export function fakeTimers(start = 1_700_000_000_000): Timers & { advance(ms: number): void; pending(): number } {
  let now = start
  let nextId = 1
  const timers = new Map<number, { at: number; fn: () => void }>()
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++
      timers.set(id, { at: now + Math.max(0, ms), fn })
      return id
    },
    clearTimeout: (h) => void timers.delete(h as number),
    advance(ms) {
      const until = now + ms
      for (;;) {
        let due: [number, { at: number; fn: () => void }] | undefined
        for (const e of timers) if (e[1].at <= until && (!due || e[1].at < due[1].at)) due = e
        if (!due) break
        timers.delete(due[0])
        now = due[1].at
        due[1].fn()
      }
      now = until
    },
    pending: () => timers.size
  }
}
