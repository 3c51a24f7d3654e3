import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { withSystem } from '../harness/system.ts'

// Property: whatever query string (and path parameter) a viewer sends to any GET route, the
// node answers 2xx or 4xx — never 5xx — and keeps running. The whole node (node/system.ts) on a
// real InfluxDB, real HTTP requests. Any string, huge ones, unicode, prototype keys, arrays via
// repeated keys, dates near and far. The run is bounded in time, not in count; the number of
// inputs that ran is printed.

const RUN_MS = 12_000

type OpenApi = { paths: Record<string, { get?: { parameters?: { name: string; in: string }[] } }> }

const nasty = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '',
  ' ',
  '%00',
  '\u0000',
  'NaN',
  'Infinity',
  '-1',
  '1e309',
  '9999-12-31',
  '0000-01-01',
  '2026-02-30',
  '1969-12-31',
  '2099-12-31',
  '2100-01-01',
  '+010000-01-01',
  '2026-12-02T00:00:00Z',
  'ts-1',
  'sc-1',
  'bin-1',
  'csv',
  'json',
  'device',
  'site',
  'open',
  'critical',
  '梁溪',
  '💥',
  '../../etc/passwd',
  "' OR 1=1 --",
  '"; DROP',
  '\\'
)
const value = fc.oneof(
  { arbitrary: nasty, weight: 8 },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 3 },
  { arbitrary: fc.integer().map(String), weight: 3 },
  { arbitrary: fc.double().map(String), weight: 3 },
  {
    arbitrary: fc
      .date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10)),
    weight: 3
  },
  { arbitrary: fc.integer({ min: 1_000, max: 40_000 }).map((n) => 'x'.repeat(n)), weight: 1 }
)

// Days anywhere in four-digit years (fast-check leans towards the ends of a range).
const pad = (n: number, w: number): string => String(n).padStart(w, '0')
const dateish = fc
  .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
  .map(([y, m, d]) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`)
const anyValue = fc.oneof({ arbitrary: value, weight: 2 }, { arbitrary: dateish, weight: 1 })
// The edges where date arithmetic breaks.
const edgeDay = fc.constantFrom(
  '9999-12-31',
  '0000-01-01',
  '0099-12-31',
  '1677-09-21',
  '2262-04-12',
  '1970-01-01',
  '2099-12-31',
  '2100-01-01',
  '1999-12-31'
)
const knownValue = fc.oneof(
  { arbitrary: edgeDay, weight: 2 },
  { arbitrary: dateish, weight: 2 },
  { arbitrary: value, weight: 1 }
)

describe('REST fuzzing', () => {
  it('never answers 5xx to any query on any GET route, and the node survives', async () => {
    const t = await withSystem()
    const token = await t.token('admin')
    const doc = (t.system.http as unknown as { swagger(): OpenApi }).swagger()
    const routes = Object.entries(doc.paths)
      .filter(([, ops]) => ops.get)
      .map(([p, ops]) => ({
        path: p,
        params: (ops.get!.parameters ?? []).filter((x) => x.in === 'query').map((x) => x.name)
      }))
    routes.push(
      { path: '/healthz', params: [] },
      { path: '/readyz', params: [] },
      { path: '/', params: [] },
      { path: '/docs/json', params: [] }
    )
    expect(routes.length).toBeGreaterThan(15)

    const input = fc.record({
      route: fc.constantFrom(...routes),
      pathValue: fc.oneof(fc.constant('ts-1'), value),
      pairs: fc.oneof(
        fc.constant([]),
        fc.array(
          fc.tuple(
            fc.oneof(
              fc.constantFrom('date', 'from', 'to', 'limit', 'by', 'format', 'siteId', 'status', 'state', 'day'),
              nasty,
              fc.string({ maxLength: 12 })
            ),
            anyValue
          ),
          { maxLength: 6 }
        )
      ),
      // Each declared parameter present or not (undefined), so a single bad one is often alone.
      known: fc.array(fc.option(knownValue, { nil: undefined }), { minLength: 4, maxLength: 4 })
    })
    let inputs = 0
    const statuses = new Map<number, number>()
    await fc.assert(
      fc.asyncProperty(input, async ({ route, pathValue, pairs, known }) => {
        inputs++
        const qs = new URLSearchParams()
        // Known parameters first (each possibly repeated: an array), then anything.
        for (const [i, name] of route.params.entries()) if (known[i] !== undefined) qs.append(name, known[i])
        for (const [k, v] of pairs) qs.append(k, v)
        const p = route.path.replace(/\{[^}]+\}/g, encodeURIComponent(pathValue))
        const res = await fetch(`${t.httpUrl}${p}?${qs}`, { headers: { authorization: `Bearer ${token}` } })
        await res.arrayBuffer()
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
        expect(res.status, `${p}?${qs.toString().slice(0, 300)}`).toBeLessThan(500)
      }),
      { numRuns: 100_000, interruptAfterTimeLimit: RUN_MS, markInterruptAsFailure: false }
    )
    console.log(
      `REST fuzzing: ${inputs} inputs over ${routes.length} GET routes in ${RUN_MS / 1000} s; statuses ${JSON.stringify(Object.fromEntries(statuses))}`
    )
    expect(inputs).toBeGreaterThan(100)
    expect((await fetch(`${t.httpUrl}/healthz`)).status).toBe(200)
    expect((await t.api('/api/v1/city', token)).status).toBe(200)
  }, 60_000)
})
