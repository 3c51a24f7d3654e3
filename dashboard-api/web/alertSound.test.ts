import { describe, expect, it } from 'vitest'
import type { Alert } from '../../contracts/ops.ts'
import { MAX_KNOWN, createAlertWatch } from './src/alertSound.ts'

const alert = (id: string, over: Partial<Alert> = {}): Alert =>
  ({ id, type: 'bin-overflow', severity: 'critical', state: 'open', message: id, ...over }) as Alert

describe('createAlertWatch', () => {
  it('ignores what the first snapshot holds and reports each new open critical alert once', () => {
    const w = createAlertWatch(5000)
    expect(w.snapshot([alert('a'), alert('b')])).toEqual([])
    expect(w.delta([alert('a', { acknowledgedAt: 1 } as Partial<Alert>)])).toEqual([])
    expect(w.delta([alert('c'), alert('d', { severity: 'warning' }), alert('e', { state: 'resolved' })])).toEqual([
      alert('c')
    ])
    expect(w.delta([alert('c')])).toEqual([])
  })

  it('a later snapshot (after a gap) reports the open criticals it had not seen', () => {
    const w = createAlertWatch(5000)
    w.snapshot([alert('a')])
    expect(w.snapshot([alert('a'), alert('b')]).map((a) => a.id)).toEqual(['b'])
  })

  it('sounds at most once per gap however many arrive', () => {
    const w = createAlertWatch(5000)
    expect(w.shouldSound([], 0)).toBe(false)
    expect(w.shouldSound([alert('a'), alert('b')], 1000)).toBe(true)
    expect(w.shouldSound([alert('c')], 5999)).toBe(false)
    expect(w.shouldSound([alert('d')], 6000)).toBe(true)
  })

  it('remembers a bounded number of ids', () => {
    const w = createAlertWatch(0)
    w.snapshot(Array.from({ length: MAX_KNOWN + 1 }, (_, i) => alert(`x${i}`)))
    // The oldest was forgotten: seen again, it counts as new; the newest does not.
    expect(w.delta([alert('x0'), alert(`x${MAX_KNOWN}`)]).map((a) => a.id)).toEqual(['x0'])
  })
})
