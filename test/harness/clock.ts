// Fake clocks for tests: the production code takes `now` / `Timers` (lib/clock.ts) as
// dependencies, and these stand in for them so a test moves time by hand instead of waiting.
import type { Now, Timers } from '../../lib/clock.ts'

/** A clock that moves only when told: `advance(ms)`. */
export function fakeClock(start = 1_000_000): { now: Now; advance(ms: number): number } {
  let now = start
  return { now: () => now, advance: (ms: number) => (now += ms) }
}

/** A manual clock with timers: `advance(ms)` runs due timers in order. */
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
