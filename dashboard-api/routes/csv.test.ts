import { describe, expect, it } from 'vitest'
import { csvField, parseCsv, toCsv } from './csv.ts'
import { prefersCsv } from './history.ts'

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
