import { describe, expect, it } from 'vitest'
import { retryInBackground } from './retry.ts'

/** A sleep that records each wait and returns at once (or stays pending, to stop during it). */
function recordingSleep(hangAfter = Infinity): {
  waits: number[]
  sleep: (ms: number, s: AbortSignal) => Promise<void>
} {
  const waits: number[] = []
  const sleep = (ms: number, signal: AbortSignal): Promise<void> => {
    waits.push(ms)
    if (waits.length <= hangAfter) return Promise.resolve()
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
  }
  return { waits, sleep }
}

describe('retryInBackground', () => {
  it('doubles the wait after each failure up to the cap, and ends on the first success', async () => {
    const { waits, sleep } = recordingSleep()
    let calls = 0
    const errors: Array<[string, number]> = []
    const retry = retryInBackground(
      async () => {
        calls++
        if (calls < 7) throw new Error(`down ${calls}`)
      },
      { initialMs: 1000, maxMs: 30_000, sleep, onError: (err, next) => errors.push([(err as Error).message, next]) }
    )
    expect(await retry.done).toBe(true)
    expect(calls).toBe(7)
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000])
    expect(errors).toEqual([
      ['down 1', 2000],
      ['down 2', 4000],
      ['down 3', 8000],
      ['down 4', 16_000],
      ['down 5', 30_000],
      ['down 6', 30_000]
    ])
  })

  it('stopped during a wait: no further attempt, done says false', async () => {
    const { waits, sleep } = recordingSleep(2)
    let calls = 0
    const retry = retryInBackground(
      async () => {
        calls++
        throw new Error('down')
      },
      { initialMs: 10, maxMs: 100, sleep }
    )
    await new Promise((r) => setImmediate(r))
    expect(waits).toEqual([10, 20, 40])
    retry.stop()
    expect(await retry.done).toBe(false)
    expect(calls).toBe(2)
  })

  it('stopped during an attempt: that failure is not reported and nothing is retried', async () => {
    const { sleep } = recordingSleep()
    let calls = 0
    let fail: (err: Error) => void = () => undefined
    const errors: unknown[] = []
    const retry = retryInBackground(
      () => {
        calls++
        return new Promise((_, reject) => {
          fail = reject
        })
      },
      { initialMs: 10, maxMs: 100, sleep, onError: (err) => errors.push(err) }
    )
    await new Promise((r) => setImmediate(r))
    retry.stop()
    fail(new Error('down'))
    expect(await retry.done).toBe(false)
    expect(calls).toBe(1)
    expect(errors).toEqual([])
  })

  it('stops a real timer wait at once', async () => {
    let calls = 0
    const retry = retryInBackground(
      async () => {
        calls++
      },
      { initialMs: 60_000, maxMs: 60_000 }
    )
    retry.stop()
    expect(await retry.done).toBe(false)
    expect(calls).toBe(0)
  })
})
