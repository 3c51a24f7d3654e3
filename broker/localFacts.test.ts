import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { Fact } from '../contracts/facts.ts'
import { createLocalFacts } from './localFacts.ts'

const fact = (seq: number): Fact => ({ kind: 'status', deviceId: 'd', ts: seq, seq, recvMs: seq }) as Fact
const tick = (): Promise<void> => new Promise((r) => setImmediate(r))

describe('in-process facts', () => {
  it('hands facts over on the next turn, never inside the publisher, and survives a throwing listener', async () => {
    const hub = createLocalFacts({ log: pino({ level: 'silent' }), maxPending: 100 })
    const got: number[] = []
    hub.subscribe(() => {
      throw new Error('listener bug')
    })
    hub.subscribe((facts) => got.push(...facts.map((f) => f.seq!)))
    hub.publish([fact(1)])
    hub.publish([fact(2), fact(3)])
    expect(got).toEqual([])
    await tick()
    expect(got).toEqual([1, 2, 3])
    expect(hub.stats().listenerErrors).toBe(2)
  })

  it('at the bound, delivers what waits at once and in order instead of queueing more', () => {
    const hub = createLocalFacts({ log: pino({ level: 'silent' }), maxPending: 3 })
    const got: number[] = []
    hub.subscribe((facts) => got.push(...facts.map((f) => f.seq!)))
    for (let i = 1; i <= 7; i++) hub.publish([fact(i)])
    expect(got).toEqual([1, 2, 3, 4, 5, 6])
    expect(hub.stats().pendingBatches).toBe(1)
  })
})
