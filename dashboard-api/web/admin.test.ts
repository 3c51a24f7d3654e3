import { describe, expect, it } from 'vitest'
import { AdminError, fieldErrors } from './src/admin/rest.ts'
import { en } from './src/i18n/en.ts'
import { zh } from './src/i18n/zh.ts'
import { cleanRing, fromPixel, midpoints, toPixel, type Mapping } from './src/map/zoneDraw.ts'

// The management pages' pure parts: pixels ↔ WGS-84 on the geo map, the ring a drawing saves,
// and the server's issues by field. The browser test (test/e2e/webAdminConfig.test.ts) drives
// the same on the page.

// About 560 px per degree of longitude around Wuxi, y down.
const m: Mapping = { ax: 560, bx: -66_900, ay: -656, by: 21_020 }

describe('zone drawing', () => {
  it('turns pixels into [lon, lat] and back, to a micro-degree', () => {
    const p = fromPixel(m, 497, 299)
    expect(p[0]).toBeCloseTo((497 + 66_900) / 560, 6)
    expect(p[1]).toBeCloseTo((299 - 21_020) / -656, 6)
    const [x, y] = toPixel(m, p)
    expect(Math.abs(x - 497)).toBeLessThan(0.001)
    expect(Math.abs(y - 299)).toBeLessThan(0.001)
  })

  it("merges a double click's two clicks and drops a closing vertex", () => {
    const a = fromPixel(m, 100, 100)
    const b = fromPixel(m, 200, 100)
    const c = fromPixel(m, 200, 200)
    const c2 = fromPixel(m, 202, 201)
    const a2 = fromPixel(m, 101, 99)
    expect(cleanRing(m, [a, b, c, c2], 5)).toEqual([a, b, c])
    expect(cleanRing(m, [a, b, c, a2], 5)).toEqual([a, b, c])
    expect(cleanRing(m, [a, b, c], 5)).toEqual([a, b, c])
  })

  it('offers the middle of every edge, the closing one too', () => {
    expect(
      midpoints([
        [0, 0],
        [2, 0],
        [2, 2]
      ])
    ).toEqual([
      [1, 0],
      [2, 1],
      [1, 1]
    ])
    expect(midpoints([[0, 0]])).toEqual([])
  })
})

describe("the server's issues by field", () => {
  const err = new AdminError(400, 'API_E_VALIDATION', 'body/capacityTpd: Too small', [
    { in: 'body', path: 'capacityTpd', message: 'Too small' },
    { in: 'body', path: 'capacityTpd', message: 'Not a multiple' },
    { in: 'body', path: 'zones.3', message: 'elsewhere' },
    { in: 'body', path: '', message: 'the whole body' }
  ])

  it('puts each message beside the field it names, the rest with the form', () => {
    expect(fieldErrors(err, ['capacityTpd', 'toleranceT'])).toEqual({
      capacityTpd: 'Too small; Not a multiple',
      '': 'zones.3: elsewhere; the whole body'
    })
  })

  it('shows any other failure with the form', () => {
    expect(fieldErrors(new AdminError(503, 'API_E_UNAVAILABLE', 'registry busy', []))).toEqual({ '': 'registry busy' })
    expect(fieldErrors(new Error('offline'))).toEqual({ '': 'offline' })
  })
})

it('has every management key in both languages', () => {
  const keys = (d: Record<string, string>) =>
    Object.keys(d)
      .filter((k) => /^(admin\.|rule\.|nav\.admin-)/.test(k))
      .sort()
  expect(keys(zh).length).toBeGreaterThan(40)
  expect(keys(en)).toEqual(keys(zh))
})
