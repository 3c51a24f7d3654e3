import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { RejectionNotice } from '../contracts/rejection.ts'
import { toLine } from '../influx/lineProtocol.ts'
import { lookup, testRegistry } from '../test/fixtures/registry.ts'
import { anyMessage, deviceFor, FIXTURE_RECV_MS, fixtures } from './fuzz.test-support.ts'
import { summariseRejections } from './notice.ts'
import { toPoint } from '../influx/schema/index.ts'
import { processMessage } from './process.ts'
import type { Inbound, Limits } from './types.ts'

// Property runs over processMessage (pure): whatever the bytes, it returns, and every object of
// the payload is accounted for — accepted or rejected, once — or the whole payload is rejected
// once. Each fact it returns can be written (line protocol) and each notice is a valid v1 notice.

const registry = lookup(testRegistry().registry)
const limits: Limits = { maxPayloadBytes: 256 * 1024, tsMaxFutureMs: 10 * 60_000, tsMaxAgeMs: 30 * 86_400_000 }
export const PROCESS_RUNS = Number(process.env.QINGYUN_FUZZ_RUNS ?? 2000)

/** How many objects the payload carries, by an oracle independent of ingest's own split. */
function objectsOf(payload: Uint8Array): number | 'whole' {
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload))
  } catch {
    return 'whole'
  }
  if (Array.isArray(json)) return json.length >= 1 && json.length <= 500 ? json.length : 'whole'
  return json !== null && typeof json === 'object' ? 1 : 'whole'
}

const inbound = (kind: Inbound['kind'], payload: Uint8Array): Inbound => ({
  deviceId: deviceFor[kind],
  kind,
  topic: `v1/devices/${deviceFor[kind]}/${kind}`,
  payload,
  recvMs: FIXTURE_RECV_MS
})

describe('processMessage on any input', () => {
  it('accepts every valid fixture (the mutations start from valid data)', () => {
    for (const [kind, objects] of fixtures) {
      const out = processMessage(inbound(kind, Buffer.from(JSON.stringify(objects))), registry, limits)
      expect(out.rejected.map((r) => r.fact.error)).toEqual([])
      expect(out.accepted).toHaveLength(objects.length)
    }
  })

  it(`never throws and accounts for every object (${PROCESS_RUNS} runs)`, () => {
    const seen = { accepted: 0, rejected: 0, whole: 0 }
    // Plain checks (not expect) inside the property: thousands of runs stay within seconds.
    const check = (ok: boolean, what: string): void => {
      if (!ok) throw new Error(what)
    }
    fc.assert(
      fc.property(anyMessage, ({ kind, payload }) => {
        const msg = inbound(kind, payload)
        const out = processMessage(msg, registry, limits)
        const expected = objectsOf(payload)
        const deep = out.rejected.length === 1 && /depth limit/.test(out.rejected[0]!.fact.error)
        if (expected === 'whole' || deep) {
          check(
            out.accepted.length === 0 && out.rejected.length === 1 && out.objects === 1,
            'a refused payload is one rejection'
          )
          check(out.rejected[0]!.fact.index === undefined, 'a refused payload has no index')
          seen.whole++
        } else {
          check(out.objects === expected, `objects ${out.objects} ≠ ${expected}`)
          check(
            out.accepted.length + out.rejected.length === expected,
            `accepted ${out.accepted.length} + rejected ${out.rejected.length} ≠ ${expected}`
          )
          const indexes = out.rejected.map((r) => r.fact.index)
          check(new Set(indexes).size === indexes.length, 'a rejected index twice')
          check(
            indexes.every((i) => (i === undefined ? expected === 1 : i >= 0 && i < expected)),
            'a rejected index out of range'
          )
          seen.accepted += out.accepted.length
          seen.rejected += out.rejected.length
        }
        for (const f of [...out.accepted, ...out.rejected.map((r) => r.fact)]) toLine(toPoint(f))
        if (out.rejected.length > 0) RejectionNotice.parse(summariseRejections(out.rejected, out.objects, msg))
      }),
      { numRuns: PROCESS_RUNS }
    )
    // The generator reaches every path: data accepted, objects rejected, payloads refused whole.
    expect(seen.accepted).toBeGreaterThan(0)
    expect(seen.rejected).toBeGreaterThan(0)
    expect(seen.whole).toBeGreaterThan(0)
  }, 120_000)
})
