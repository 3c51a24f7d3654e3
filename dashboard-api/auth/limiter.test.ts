import { describe, expect, it } from 'vitest'
import { fakeClock as clock } from '../../test/harness/clock.ts'
import { createFailureLimiter } from './limiter.ts'

describe('failure limiter', () => {
  it('blocks a key after max failures until its window ends, with Retry-After in whole seconds', () => {
    const c = clock()
    const l = createFailureLimiter({ max: 3, windowMs: 60_000, now: c.now })
    expect(l.fail('a')).toEqual({ blocked: false })
    expect(l.fail('a')).toEqual({ blocked: false })
    expect(l.check('a')).toEqual({ blocked: false })
    expect(l.fail('a')).toEqual({ blocked: true, retryAfterS: 60 })
    c.advance(59_001)
    expect(l.check('a')).toEqual({ blocked: true, retryAfterS: 1 })
    c.advance(999)
    expect(l.check('a')).toEqual({ blocked: false })
    expect(l.fail('a')).toEqual({ blocked: false })
  })

  it('keeps keys apart; checks alone never count', () => {
    const c = clock()
    const l = createFailureLimiter({ max: 2, now: c.now })
    l.fail('a')
    l.fail('a')
    for (let i = 0; i < 100; i++) expect(l.check('b')).toEqual({ blocked: false })
    expect(l.check('a').blocked).toBe(true)
    expect(l.size()).toBe(1)
  })

  it('defaults to 10 failures per minute', () => {
    const c = clock()
    const l = createFailureLimiter({ now: c.now })
    for (let i = 0; i < 9; i++) expect(l.fail('ip').blocked).toBe(false)
    expect(l.fail('ip')).toEqual({ blocked: true, retryAfterS: 60 })
  })

  it('remembers at most maxKeys keys, forgetting expired then oldest windows', () => {
    const c = clock()
    const l = createFailureLimiter({ max: 1, windowMs: 1000, maxKeys: 3, now: c.now })
    l.fail('old')
    c.advance(1000)
    l.fail('a')
    l.fail('b')
    l.fail('c')
    expect(l.size()).toBe(3)
    expect(l.check('old').blocked).toBe(false)
    l.fail('d')
    expect(l.size()).toBe(3)
    expect(l.check('a').blocked).toBe(false)
    expect(l.check('d').blocked).toBe(true)
    for (let i = 0; i < 10_000; i++) l.fail(`k${i}`)
    expect(l.size()).toBe(3)
  })
})
