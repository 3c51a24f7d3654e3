import type { Timers } from '../../lib/clock.ts'

/** What changed since the last flush: some item keys, or everything (e.g. a new day). */
export interface Dirty {
  readonly all: boolean
  readonly keys: ReadonlySet<string>
}

export interface Coalescer {
  /** Mark an item key changed; no key marks everything. O(1): called from model.onChange. */
  mark(key?: string): void
  close(): void
}

/**
 * Collects changes and flushes them at most once per `intervalMs`: the first change after a
 * quiet spell flushes at once, later ones wait until intervalMs after the previous flush began.
 * Flushes never overlap; a change during a flush goes to the next one. A failed flush puts its
 * batch back so nothing is lost.
 */
export function createCoalescer(opts: {
  intervalMs: number
  timers: Timers
  flush: (dirty: Dirty) => Promise<void> | void
  onError: (err: unknown) => void
}): Coalescer {
  const { intervalMs, timers } = opts
  let all = false
  let keys = new Set<string>()
  let timer: unknown
  let flushing = false
  let closed = false
  let lastFlushAt = Number.NEGATIVE_INFINITY

  const hasWork = (): boolean => all || keys.size > 0
  const schedule = (): void => {
    if (closed || flushing || timer !== undefined || !hasWork()) return
    timer = timers.setTimeout(run, Math.max(0, lastFlushAt + intervalMs - timers.now()))
  }
  const run = async (): Promise<void> => {
    timer = undefined
    if (closed || !hasWork()) return
    const batch: Dirty = { all, keys }
    all = false
    keys = new Set()
    flushing = true
    lastFlushAt = timers.now()
    try {
      await opts.flush(batch)
    } catch (err) {
      if (batch.all) all = true
      for (const k of batch.keys) keys.add(k)
      opts.onError(err)
    } finally {
      flushing = false
      schedule()
    }
  }
  return {
    mark(key) {
      if (closed) return
      if (key === undefined) all = true
      else if (!all) keys.add(key)
      schedule()
    },
    close() {
      closed = true
      if (timer !== undefined) timers.clearTimeout(timer)
      timer = undefined
    }
  }
}
