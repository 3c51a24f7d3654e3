import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { createAdmission } from './admission.ts'

const capture = () => {
  const lines: Array<{ msg: string }> = []
  const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as { msg: string }) })
  return { log, lines }
}

describe('admission', () => {
  it('logs 2,000 failed logins from one address as a few lines, and refuses unchecked after the limit', () => {
    const { log, lines } = capture()
    const a = createAdmission({ maxConnectionsPerAddress: 10, authFailLimit: 10, authFailWindowMs: 60_000 }, log)
    let throttled = 0
    for (let i = 0; i < 2000; i++) {
      if (a.throttled('10.0.0.1', `dev-${i % 50}`, i)) throttled++
      else a.authFailed('10.0.0.1', `dev-${i % 50}`, i, 'wrong or missing token')
    }
    expect(a.stats()).toMatchObject({ authFailures: 10, throttledAttempts: 1990 })
    expect(throttled).toBe(1990)
    a.sweep(61_000)
    expect(lines.length).toBeLessThan(25)
    expect(lines.at(-1)?.msg).toBe('authentication failures in the last window')
    // The window is over: the address gets a fresh allowance.
    expect(a.throttled('10.0.0.1', 'dev-0', 62_000)).toBe(false)
  })

  it('bounds connections per address and frees a slot on close', () => {
    const { log } = capture()
    const a = createAdmission({ maxConnectionsPerAddress: 2, authFailLimit: 10, authFailWindowMs: 60_000 }, log)
    expect([a.openConnection('x'), a.openConnection('x'), a.openConnection('x'), a.openConnection('y')]).toEqual([
      true,
      true,
      false,
      true
    ])
    a.closeConnection('x')
    expect(a.openConnection('x')).toBe(true)
    expect(a.stats().refusedByAddress).toBe(1)
  })
})
