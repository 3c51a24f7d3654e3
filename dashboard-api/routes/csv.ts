// RFC 4180 CSV: CRLF line ends, a header row, a field quoted when it holds a comma, a quote,
// CR or LF, quotes doubled inside. null/undefined are empty fields; numbers are written as
// JavaScript prints them (no thousands separators, `.` decimal point) so they parse back exactly.
// Downloads start with a UTF-8 BOM (`{ bom: true }`): without it Excel, the tool operators open a
// CSV with, reads the file in the system's legacy code page and shows Chinese as mojibake. Strict
// RFC 4180 readers would take the BOM as part of the first field name; parseCsv drops it.

export type CsvValue = string | number | boolean | null | undefined

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return ''
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export const BOM = '\uFEFF'

/**
 * A header row (`headers`, by default the column keys) and one record per row. `bom`: start with
 * the UTF-8 byte order mark.
 */
export function toCsv<T>(
  columns: readonly (keyof T & string)[],
  rows: readonly T[],
  opts: { readonly headers?: readonly string[]; readonly bom?: boolean } = {}
): string {
  const lines = [(opts.headers ?? columns).map(csvField).join(',')]
  for (const row of rows) lines.push(columns.map((c) => csvField(row[c] as CsvValue)).join(','))
  return `${opts.bom ? BOM : ''}${lines.join('\r\n')}\r\n`
}

/** The inverse, for tests and tools: fields of each record, quotes undone. */
export function parseCsv(input: string): string[][] {
  const text = input.startsWith(BOM) ? input.slice(1) : input
  const records: string[][] = []
  let field = ''
  let record: string[] = []
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (ch === '"') quoted = false
      else field += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      record.push(field)
      field = ''
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field)
      records.push(record)
      record = []
      field = ''
      i++
    } else field += ch
  }
  if (field !== '' || record.length > 0) {
    record.push(field)
    records.push(record)
  }
  return records
}
