import { describe, expect, it } from 'vitest'
import { addDays, localDate, startOfLocalDay } from './time.ts'

describe('local days', () => {
  it('puts 23:59 and 00:00 Shanghai time on different days', () => {
    expect(localDate(Date.parse('2026-11-28T15:59:59.999Z'), 'Asia/Shanghai')).toBe('2026-11-28')
    expect(localDate(Date.parse('2026-11-28T16:00:00.000Z'), 'Asia/Shanghai')).toBe('2026-11-29')
  })
  it('finds local midnight', () => {
    expect(new Date(startOfLocalDay('2026-11-29', 'Asia/Shanghai')).toISOString()).toBe('2026-11-28T16:00:00.000Z')
    expect(new Date(startOfLocalDay('2026-11-29', 'UTC')).toISOString()).toBe('2026-11-29T00:00:00.000Z')
  })
  it('handles a DST day (Europe/Berlin, 2026-03-29 is 23 h long)', () => {
    const start = startOfLocalDay('2026-03-29', 'Europe/Berlin')
    expect(new Date(start).toISOString()).toBe('2026-03-28T23:00:00.000Z')
    expect(startOfLocalDay(addDays('2026-03-29', 1), 'Europe/Berlin') - start).toBe(23 * 3_600_000)
  })
  it('adds days across months', () => {
    expect(addDays('2026-11-30', 1)).toBe('2026-12-01')
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28')
  })
})
