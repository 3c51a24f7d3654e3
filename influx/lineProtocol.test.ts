import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { LineProtocolError, toLine, toLines } from './lineProtocol.ts'
import { float, int, type Field, type Point } from './point.ts'

// Golden cases live in testdata/ (docs/conventions.md, rule 12). JSON has no NaN/Infinity/undefined/bigint,
// so the file spells them "NaN", "Infinity", null and a decimal string.
interface JsonPoint {
  measurement: string
  tags: Record<string, string | null>
  fields: Record<string, { t: Field['t']; v: number | string | boolean } | null>
  timeNs: string
}
interface Golden {
  lines: { name: string; point: JsonPoint; line: string }[]
  errors: { name: string; point: JsonPoint; error: string }[]
}

const golden = JSON.parse(
  readFileSync(new URL('./testdata/lineProtocol.golden.json', import.meta.url), 'utf8')
) as Golden

function fromJson(p: JsonPoint): Point {
  const tags: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(p.tags)) tags[k] = v ?? undefined
  const fields: Record<string, Field | undefined> = {}
  for (const [k, f] of Object.entries(p.fields)) {
    if (f === null) {
      fields[k] = undefined
      continue
    }
    fields[k] = (f.t === 'f' || f.t === 'i') && typeof f.v === 'string' ? { t: f.t, v: Number(f.v) } : (f as Field)
  }
  return { measurement: p.measurement, tags, fields, timeNs: BigInt(p.timeNs) }
}

describe('toLine golden cases', () => {
  for (const c of golden.lines) {
    it(c.name, () => {
      expect(toLine(fromJson(c.point))).toBe(c.line)
    })
  }
  for (const c of golden.errors) {
    it(`throws: ${c.name}`, () => {
      const run = () => toLine(fromJson(c.point))
      expect(run).toThrow(LineProtocolError)
      expect(run).toThrow(c.error)
    })
  }
})

describe('toLine', () => {
  it('never emits a raw newline, whatever the input', () => {
    const nasty = 'a\nb\r\nc'
    const line = toLine({
      measurement: `m${nasty}`,
      tags: { [`k${nasty}`]: nasty },
      fields: { [`f${nasty}`]: { t: 's', v: nasty } },
      timeNs: 1n
    })
    expect(line).not.toMatch(/[\r\n]/)
  })

  it('errors carry a stable code', () => {
    try {
      toLine({ measurement: 'm', tags: {}, fields: {}, timeNs: 1n })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(LineProtocolError)
      expect((err as LineProtocolError).code).toBe('INFLUX_E_LINE')
    }
  })
})

describe('toLines', () => {
  it('serialises each point in order', () => {
    const pts: Point[] = [
      { measurement: 'a', tags: {}, fields: { v: int(1) }, timeNs: 1n },
      { measurement: 'b', tags: { s: 'x' }, fields: { v: float(2.5) }, timeNs: 2n }
    ]
    expect(toLines(pts)).toEqual(['a v=1i 1', 'b,s=x v=2.5 2'])
  })
})

describe('toLine tag order', () => {
  it('sorts tag keys by UTF-16 code unit, as Array.prototype.sort does, whatever order they come in', () => {
    const keys = ['z', 'B', 'a', '_x', 'é', 'b', 'a1', 'Z9']
    const expected = [...keys].sort()
    // Rotations and the reverse of each: every key first and last at least once.
    for (let r = 0; r < keys.length; r++) {
      for (const order of [
        [...keys.slice(r), ...keys.slice(0, r)],
        [...keys.slice(r), ...keys.slice(0, r)].reverse()
      ]) {
        const tags = Object.fromEntries(order.map((k) => [k, `v${k}`]))
        const line = toLine({ measurement: 'm', tags, fields: { f: float(1) }, timeNs: 1n })
        expect(line).toBe(`m,${expected.map((k) => `${k}=v${k}`).join(',')} f=1 1`)
      }
    }
  })
})
