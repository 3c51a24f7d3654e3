import { describe, expect, it } from 'vitest'
import { issuePaths } from '../contracts/rejection.ts'
import { lookup, testRegistry } from '../test/fixtures/registry.ts'
import { processMessage } from './process.ts'

// The rejections route reads the fields a stored rejection names back from its `error` text
// (contracts/rejection.ts, issuePaths): the text ingest writes must give back the issues' paths.
const limits = { maxPayloadBytes: 256 * 1024, tsMaxFutureMs: 10 * 60_000, tsMaxAgeMs: 30 * 86_400_000 }
const registry = lookup(testRegistry().registry)
const recvMs = Date.UTC(2026, 10, 27, 8)
const run = (kind: 'weighing' | 'fill', payload: unknown) =>
  processMessage(
    {
      deviceId: kind === 'weighing' ? 'wb-1' : 'fill-1',
      kind,
      topic: `v1/devices/x/${kind}`,
      payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
      recvMs
    },
    registry,
    limits
  ).rejected
const ts = new Date(recvMs - 60_000).toISOString()

describe('issuePaths', () => {
  it('gives back the paths of the schema issues ingest wrote into the error', () => {
    const cases: unknown[] = [
      { ts, fillPct: 'full' },
      { ts, fillPct: 'full', batteryPct: -5 },
      { ts: 'yesterday', fillPct: 200 },
      { fillPct: 50 },
      { ts, fillPct: 50, extra: { a: 1 } }
    ]
    for (const payload of cases) {
      const [r] = run('fill', payload)
      expect(r, JSON.stringify(payload)).toBeDefined()
      const expected = [...new Set(r!.issues.map((i) => i.path).filter((p) => p !== ''))].slice(0, 5)
      expect(issuePaths(r!.fact.code, r!.fact.error), r!.fact.error).toEqual(expected)
    }
  })

  it('names ts for a time out of range and no field for a whole-payload rejection', () => {
    const [future] = run('fill', { ts: new Date(recvMs + 3_600_000).toISOString(), fillPct: 5 })
    expect(future!.fact.code).toBe('INGEST_E_TS_RANGE')
    expect(issuePaths(future!.fact.code, future!.fact.error)).toEqual(['ts'])
    const [json] = run('fill', '{nope')
    expect(issuePaths(json!.fact.code, json!.fact.error)).toEqual([])
    const [shape] = run('fill', '[]')
    expect(issuePaths(shape!.fact.code, shape!.fact.error)).toEqual([])
  })

  it('keeps at most the five issues the text holds', () => {
    const [r] = run('weighing', { ts, ticketId: 1, direction: 'up', stream: 2, grossKg: 'a', tareKg: 'b', netKg: 'c' })
    expect(r!.issues.length).toBeGreaterThan(5)
    expect(r!.fact.error).toMatch(/\(\+\d+ more\)$/)
    expect(issuePaths(r!.fact.code, r!.fact.error)).toEqual(r!.issues.slice(0, 5).map((i) => i.path))
  })
})
