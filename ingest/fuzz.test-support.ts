// Inputs for the property runs over ingest: arbitrary bytes, arbitrary JSON, and the valid
// contract fixtures (contracts/testdata/valid) mutated — so most runs get past JSON.parse and the
// schema, and reach the per-object paths (dates, registry, line protocol) where poison hides.
import { readFileSync, readdirSync } from 'node:fs'
import fc from 'fast-check'
import type { Kind } from '../contracts/device/index.ts'

const dir = new URL('../contracts/testdata/valid/', import.meta.url)

/** Every valid fixture as [kind, objects]. */
export const fixtures: readonly (readonly [Kind, readonly Record<string, unknown>[]])[] = readdirSync(dir).map(
  (file) => {
    const json = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as unknown
    return [file.split(/[-.]/)[0] as Kind, (Array.isArray(json) ? json : [json]) as Record<string, unknown>[]] as const
  }
)

/** An arrival time at which every fixture is in the accepted ts window. */
export const FIXTURE_RECV_MS = Date.parse('2026-11-28T06:00:00Z')
const FIXTURE_TS_MIN = Date.parse('2026-11-28T00:00:00Z')

/** A device of the test registry (test/fixtures/registry.ts) allowed to publish each kind. */
export const deviceFor: { readonly [K in Kind]: string } = {
  weighing: 'wb-1',
  fill: 'fill-1',
  position: 'gps-1',
  status: 'wb-1'
}

const FIELDS = [
  'ts',
  'seq',
  'ticketId',
  'direction',
  'stream',
  'material',
  'grossKg',
  'tareKg',
  'netKg',
  'plate',
  'fillPct',
  'batteryPct',
  'tempC',
  'lat',
  'lon',
  'speedKmh',
  'headingDeg',
  'ignition',
  'rssiDbm',
  'firmware',
  'uptimeS'
]

/** Numbers that break things: the Date range edges, unsafe integers, huge and tiny floats. */
const nastyNumber = fc.oneof(
  fc.constantFrom(
    8_640_000_000_000_000,
    8_640_000_000_000_001,
    -8_640_000_000_000_001,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    1e308,
    -1e308,
    5e-324,
    -0,
    0,
    1e21,
    999_999_999_999,
    1_000_000_000_000
  ),
  fc.integer({ min: -(2 ** 53), max: 2 ** 53 }),
  fc.double({ noNaN: true, noDefaultInfinity: true })
)
const nastyString = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.constantFrom(
    '+275760-09-13T00:00:00.001Z',
    '2026-11-28T08:15:30',
    '2026-02-30T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '\\',
    'a\\',
    ' ',
    '\n',
    '"',
    '苏B12345',
    'x'.repeat(200)
  )
)
/** Event times around every edge: the Date range, the accepted window, epoch seconds, ISO forms. */
const nastyTs: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: 8_640_000_000_000_000, max: Number.MAX_SAFE_INTEGER }),
  fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: -8_640_000_000_000_000 }),
  fc.integer({ min: FIXTURE_TS_MIN - 40 * 86_400_000, max: FIXTURE_TS_MIN + 40 * 86_400_000 }),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  nastyNumber,
  nastyString
)
const value: fc.Arbitrary<unknown> = fc.oneof(
  nastyNumber,
  nastyString,
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 })
)

type Obj = Record<string, unknown>
const mutateObject = (o: Obj): fc.Arbitrary<Obj> =>
  fc.oneof(
    fc.constant(o),
    nastyTs.map((ts) => ({ ...o, ts })),
    fc.tuple(fc.constantFrom(...FIELDS), value).map(([k, v]) => ({ ...o, [k]: v })),
    fc.constantFrom(...Object.keys(o)).map((k) => Object.fromEntries(Object.entries(o).filter(([x]) => x !== k))),
    fc.tuple(fc.string({ maxLength: 10 }), value).map(([k, v]) => ({ ...o, [k]: v })),
    fc
      .tuple(fc.constantFrom(...FIELDS), value, fc.constantFrom(...FIELDS), value)
      .map(([k1, v1, k2, v2]) => ({ ...o, [k1]: v1, [k2]: v2 }))
  )

/** A payload text built from a fixture: objects mutated, batched, or the text cut or spliced. */
const mutatedFixture: fc.Arbitrary<{ kind: Kind; payload: Uint8Array }> = fc
  .constantFrom(...fixtures)
  .chain(([kind, objects]) =>
    fc
      .tuple(fc.array(fc.constantFrom(...objects).chain(mutateObject), { minLength: 1, maxLength: 8 }), fc.boolean())
      .map(([objs, batch]) => JSON.stringify(batch || objs.length > 1 ? objs : objs[0]))
      .chain((text) =>
        fc.oneof(
          { weight: 6, arbitrary: fc.constant(text) },
          { weight: 1, arbitrary: fc.nat(text.length).map((n) => text.slice(0, n)) },
          {
            weight: 1,
            arbitrary: fc
              .tuple(fc.nat(text.length), fc.string({ maxLength: 8 }))
              .map(([i, s]) => text.slice(0, i) + s + text.slice(i))
          },
          {
            weight: 1,
            arbitrary: fc.oneof(fc.nat(40), fc.constant(5000)).map((n) => '['.repeat(n) + text + ']'.repeat(n))
          }
        )
      )
      .map((text) => ({ kind, payload: Buffer.from(text, 'utf8') as Uint8Array }))
  )

const kinds = fc.constantFrom<Kind>('weighing', 'fill', 'position', 'status')

/** Any payload for any kind: raw bytes, any JSON, or a mutated fixture (the most frequent). */
export const anyMessage: fc.Arbitrary<{ kind: Kind; payload: Uint8Array }> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: kinds, payload: fc.uint8Array({ maxLength: 512 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: kinds,
      payload: fc.json({ maxDepth: 4 }).map((s) => Buffer.from(s, 'utf8') as Uint8Array)
    })
  },
  { weight: 4, arbitrary: mutatedFixture }
)
export { mutatedFixture }
