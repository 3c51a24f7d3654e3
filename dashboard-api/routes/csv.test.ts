import { describe, expect, it } from 'vitest'
import { csvField, parseCsv, toCsv } from './csv.ts'
import type { DailyRow } from '../../contracts/ops.ts'
import { csvRow, prefersChinese, prefersCsv } from './history.ts'

describe('CSV (RFC 4180)', () => {
  it('quotes only fields with a comma, quote, CR or LF, doubling quotes', () => {
    expect(csvField('plain')).toBe('plain')
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField('two\nlines')).toBe('"two\nlines"')
    expect(csvField('cr\r')).toBe('"cr\r"')
    expect(csvField('梁溪区')).toBe('梁溪区')
    expect(csvField(null)).toBe('')
    expect(csvField(undefined)).toBe('')
    expect(csvField(-1.5)).toBe('-1.5')
    expect(csvField(false)).toBe('false')
  })

  it('writes a header row and CRLF-terminated records', () => {
    const rows = [
      { id: 'a', n: 1, note: 'x,y' },
      { id: 'b', n: null, note: '"q"' }
    ]
    expect(toCsv(['id', 'n', 'note'], rows)).toBe('id,n,note\r\na,1,"x,y"\r\nb,,"""q"""\r\n')
    expect(toCsv(['id'], [])).toBe('id\r\n')
  })

  it('parses back to the same fields', () => {
    const rows = [
      { a: 'x,"y"\r\nz', b: 0.001, c: '' },
      { a: '', b: 12345.678, c: 'end' }
    ]
    expect(parseCsv(toCsv(['a', 'b', 'c'], rows))).toEqual([
      ['a', 'b', 'c'],
      ['x,"y"\r\nz', '0.001', ''],
      ['', '12345.678', 'end']
    ])
  })
})

describe('Accept negotiation for history', () => {
  it('prefers CSV only when asked for it above JSON', () => {
    expect(prefersCsv(undefined)).toBe(false)
    expect(prefersCsv('text/csv')).toBe(true)
    expect(prefersCsv('text/csv, application/json;q=0.5')).toBe(true)
    expect(prefersCsv('application/json, text/csv')).toBe(false)
    expect(prefersCsv('text/csv;q=0.2, */*;q=0.1')).toBe(true)
    expect(prefersCsv('*/*')).toBe(false)
    expect(prefersCsv('text/csv;q=0')).toBe(false)
  })
})

describe('history CSV for people', () => {
  const row: DailyRow = {
    day: '2026-11-30',
    siteId: 'ts-1',
    inT: 1,
    outT: 1,
    openingT: 0,
    stockT: 0,
    clearancePct: 100,
    capacityPct: 0.3,
    cleared: true,
    hasData: true
  }
  const today = '2026-12-02'

  it('starts with a UTF-8 BOM that parseCsv drops', () => {
    const text = toCsv(['id'], [{ id: '梁溪' }], { bom: true })
    expect(text).toBe('\uFEFFid\r\n梁溪\r\n')
    expect(parseCsv(text)).toEqual([['id'], ['梁溪']])
    expect(toCsv(['id'], [{ id: 'a' }], { headers: ['编号'] })).toBe('编号\r\na\r\n')
  })

  it('says no data for a day without a ticket and in progress for today, in either language', () => {
    expect(csvRow(row, '清名桥转运站', today, 'zh')).toMatchObject({ siteName: '清名桥转运站', cleared: '是' })
    expect(csvRow({ ...row, cleared: false }, 'x', today, 'zh').cleared).toBe('否')
    expect(csvRow({ ...row, hasData: false }, 'x', today, 'zh').cleared).toBe('无数据')
    expect(csvRow({ ...row, day: today }, 'x', today, 'zh').cleared).toBe('进行中')
    expect(csvRow({ ...row, hasData: false }, 'x', today, 'en').cleared).toBe('no data')
    expect(csvRow({ ...row, day: today }, 'x', today, 'en').cleared).toBe('in progress')
    expect(csvRow(row, 'x', today, 'en').cleared).toBe('true')
  })

  it('prefers Chinese only when Accept-Language ranks it above English', () => {
    expect(prefersChinese(undefined)).toBe(false)
    expect(prefersChinese('zh-CN,zh;q=0.9,en;q=0.8')).toBe(true)
    expect(prefersChinese('zh')).toBe(true)
    expect(prefersChinese('en-US,en;q=0.9,zh-CN;q=0.8')).toBe(false)
    expect(prefersChinese('*')).toBe(false)
    expect(prefersChinese('zh-CN;q=0')).toBe(false)
    expect(prefersChinese('fr, zh-TW;q=0.5')).toBe(true)
  })
})
