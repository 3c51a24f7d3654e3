import { describe, expect, it } from 'vitest'
import { toIssue } from './admin.ts'

describe('admin problems → issues naming the body field', () => {
  it('keeps a field path, dotted, without the change\'s wrapper', () => {
    expect(toIssue('zone.windows[1].from: must be a local time HH:MM', 'zone.', ['name', 'windows'])).toEqual({ in: 'body', path: 'windows.1.from', message: 'must be a local time HH:MM' })
    expect(toIssue('dailyTargetT: Too small', '', ['dailyTargetT'])).toEqual({ in: 'body', path: 'dailyTargetT', message: 'Too small' })
  })

  it('finds the field of a cross-check about a whole entry', () => {
    expect(toIssue('zones[0] (id "z1"): polygon needs at least three distinct points', 'zone.', ['name', 'polygon', 'windows'])).toMatchObject({ path: 'polygon' })
    expect(toIssue('zones[3] (id "z1"): windows[0]: from and to are both 08:00', 'zone.', ['windows'])).toMatchObject({ path: 'windows.0', message: 'from and to are both 08:00' })
    expect(toIssue('rules.binNeedsServicePct (95) must not exceed rules.binOverflowPct (90)', 'rules.', ['binNeedsServicePct', 'binOverflowPct'])).toMatchObject({ path: 'binNeedsServicePct' })
  })

  it('names no field when it cannot tell', () => {
    expect(toIssue('something odd happened', '', ['a'])).toEqual({ in: 'body', path: '', message: 'something odd happened' })
  })
})
