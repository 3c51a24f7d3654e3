import { describe, expect, it } from 'vitest'
import type { AlertEngine, AlertInputs } from './types.ts'
import { createAlertSchedule } from './schedule.ts'

/** Timers in the test's hand: run() fires everything due by `clock.now`. */
function harness(opts: { ready?: () => boolean; changed?: string[] } = {}) {
  const clock = { now: 0 }
  const pending = new Map<number, { at: number; fn: () => void }>()
  let nextId = 1
  const timers = {
    setTimeout: (fn: () => void, ms: number) => {
      const id = nextId++
      pending.set(id, { at: clock.now + ms, fn })
      return id
    },
    clearTimeout: (h: unknown) => void pending.delete(h as number)
  }
  const evaluatedAt: number[] = []
  const notified: string[][] = []
  const engine = {
    evaluate: async (inputs: AlertInputs) => {
      evaluatedAt.push(inputs.now)
      return opts.changed ?? []
    }
  } as unknown as AlertEngine
  const schedule = createAlertSchedule({
    engine,
    intervalMs: 2000,
    timers,
    now: () => clock.now,
    ready: opts.ready ?? (() => true),
    inputs: (t) => ({ now: t }) as unknown as AlertInputs,
    onChanged: (ids) => notified.push([...ids]),
    log: { error: () => undefined }
  })
  const run = async (): Promise<void> => {
    for (const [id, t] of [...pending]) {
      if (t.at > clock.now) continue
      pending.delete(id)
      t.fn()
    }
    await new Promise((r) => setImmediate(r))
  }
  return { clock, pending, schedule, run, evaluatedAt, notified }
}

describe('the alert schedule', () => {
  it('evaluates soon after a change, then on every interval, and at most once per interval', async () => {
    const h = harness({ changed: ['a1'] })
    h.schedule.schedule()
    h.schedule.schedule() // a second change before the first evaluation adds nothing
    await h.run()
    expect(h.evaluatedAt).toEqual([0])
    expect(h.notified).toEqual([['a1']])
    h.clock.now = 500
    h.schedule.schedule() // the interval's timer is already pending
    await h.run()
    expect(h.evaluatedAt).toEqual([0])
    h.clock.now = 2000
    await h.run()
    expect(h.evaluatedAt).toEqual([0, 2000])
  })

  it('does nothing while not ready, and nothing after close', async () => {
    let ready = false
    const h = harness({ ready: () => ready })
    h.schedule.schedule()
    await h.run()
    expect(h.evaluatedAt).toEqual([])
    expect(h.pending.size).toBe(0)
    ready = true
    h.schedule.schedule()
    await h.run()
    expect(h.evaluatedAt).toEqual([0])
    expect(h.notified).toEqual([])
    h.schedule.close()
    expect(h.pending.size).toBe(0)
    h.clock.now = 10_000
    h.schedule.schedule()
    await h.run()
    expect(h.evaluatedAt).toEqual([0])
  })
})
