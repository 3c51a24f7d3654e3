import { describe, expect, it } from 'vitest'
import { addDays, localDate, startOfLocalDay, zoneOffsetMs } from './time.ts'

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

// lib/time.ts never turns a bad day into another day or NaN silently: it throws a RangeError.
describe('lib/time bounds', () => {
  it('refuses results outside four-digit years instead of returning a malformed day', () => {
    expect(() => addDays('9999-12-31', 1)).toThrow(RangeError)
    expect(() => addDays('0000-01-01', -1)).toThrow(RangeError)
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01')
    expect(addDays('0050-01-01', 1)).toBe('0050-01-02')
  })
  it('refuses malformed and impossible days', () => {
    for (const bad of ['2026-02-30', '2026-13-01', '+010000-01', '2026-1-1', '', 'NaN-NaN-NaN']) {
      expect(() => startOfLocalDay(bad, 'Asia/Shanghai'), bad).toThrow(RangeError)
      expect(() => addDays(bad, 1), bad).toThrow(RangeError)
    }
    expect(() => addDays('2026-01-01', 0.5)).toThrow(RangeError)
  })
  it('refuses instants that are not finite', () => {
    expect(() => localDate(Number.NaN, 'Asia/Shanghai')).toThrow(RangeError)
    expect(localDate(startOfLocalDay('2026-12-02', 'Asia/Shanghai'), 'Asia/Shanghai')).toBe('2026-12-02')
  })
})

describe('the span caches of localDate and zoneOffsetMs', () => {
  // Uncached answers straight from Intl, to compare with.
  const formats = new Map<string, Intl.DateTimeFormat>()
  const reference = (ms: number, tz: string): { date: string; off: number } => {
    const f =
      formats.get(tz) ??
      new Intl.DateTimeFormat('en-CA', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit'
      })
    formats.set(tz, f)
    const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, Number(x.value)]))
    const off = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(ms / 1000) * 1000
    return { date: `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`, off }
  }
  // Zones with DST changes at 02:00, at midnight (São Paulo until 2019), by 30 minutes (Lord Howe).
  const zones = ['Asia/Shanghai', 'America/New_York', 'Europe/London', 'America/Sao_Paulo', 'Australia/Lord_Howe']

  it.each(zones)('answer as Intl does for every instant, forwards and backwards, across DST changes (%s)', (tz) => {
    const from = Date.UTC(2018, 9, 1)
    const to = Date.UTC(2019, 3, 30)
    const step = 11 * 60_000 + 13_000
    const wrong: string[] = []
    for (const dir of [1, -1]) {
      for (let ms = dir > 0 ? from : to; dir > 0 ? ms < to : ms > from; ms += dir * step) {
        const r = reference(ms, tz)
        if (localDate(ms, tz) !== r.date || zoneOffsetMs(ms, tz) !== r.off) wrong.push(new Date(ms).toISOString())
      }
    }
    expect(wrong).toEqual([])
  })
})
