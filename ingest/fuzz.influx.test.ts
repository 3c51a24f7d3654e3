// Property runs over ingest.handle with the real group-commit writer on a real InfluxDB: any
// input resolves (the broker would ack it), every object is accounted for, and every fact it
// reports committed is in InfluxDB right after — at its point identity, with this write's
// arrival time (the last write of that identity).
import fc from 'fast-check'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Fact } from '../contracts/facts.ts'
import { rows } from '../influx/client.ts'
import { toPoint } from '../influx/schema/index.ts'
import { createTestDatabase, type TestDatabase } from '../test/harness/influxdb.ts'
import { lookup, testRegistry } from '../test/fixtures/registry.ts'
import { anyMessage, deviceFor, FIXTURE_RECV_MS } from './fuzz.test-support.ts'
import { createIngest } from './ingest.ts'
import { createWriter } from '../store/influxWriter.ts'

export const HANDLE_RUNS = Number(process.env.QINGYUN_FUZZ_HANDLE_RUNS ?? 150)

let t: TestDatabase
beforeAll(async () => {
  t = await createTestDatabase('fuzz')
})
afterAll(async () => {
  await t?.drop()
})

/** One InfluxQL statement that finds the fact's point: its measurement, device and exact ns time. */
function lookupOf(f: Fact): string {
  const p = toPoint(f)
  return `SELECT "recv_ms" FROM "${p.measurement}" WHERE "device" = '${String(p.tags.device).replace(/'/g, "\\'")}' AND time = ${p.timeNs}`
}

describe('ingest.handle with the real writer on InfluxDB, on any input', () => {
  it(`always resolves, and what it reports committed is stored (${HANDLE_RUNS} runs)`, async () => {
    const log = pino({ level: 'silent' })
    const writer = createWriter({ client: t.client, log })
    let committed: Fact[] = []
    let notices = 0
    const ingest = createIngest({
      sink: writer,
      registry: lookup(testRegistry().registry),
      log,
      limits: { maxPayloadBytes: 256 * 1024, tsMaxFutureMs: 10 * 60_000, tsMaxAgeMs: 30 * 86_400_000 },
      onCommitted: (facts) => committed.push(...facts),
      onRejected: () => notices++
    })
    let run = 0
    let stored = 0
    await fc.assert(
      fc.asyncProperty(anyMessage, async ({ kind, payload }) => {
        committed = []
        notices = 0
        // A distinct arrival per run: the stored recv_ms shows which write a point holds.
        const recvMs = FIXTURE_RECV_MS + ++run
        const before = ingest.stats()
        await ingest.handle({
          deviceId: deviceFor[kind],
          kind,
          topic: `v1/devices/${deviceFor[kind]}/${kind}`,
          payload,
          recvMs
        })
        const after = ingest.stats()
        const rejected =
          Object.values(after.rejected).reduce((a, b) => a + b, 0) -
          Object.values(before.rejected).reduce((a, b) => a + b, 0)
        expect(after.messages - before.messages).toBe(1)
        expect(after.lostRejectionRecords).toBe(0)
        expect(notices).toBe(rejected > 0 ? 1 : 0)
        if (committed.length === 0) return
        const results = await t.client.query(committed.map(lookupOf).join('; '), { epoch: 'ms' })
        committed.forEach((f, i) => {
          const found = rows(results[i])
          expect(found, `${f.kind} not in InfluxDB after handle() resolved`).toHaveLength(1)
          expect(found[0]!.recv_ms).toBe(recvMs)
        })
        stored += committed.length
      }),
      { numRuns: HANDLE_RUNS }
    )
    expect(stored).toBeGreaterThan(0)
    await writer.close()
  }, 300_000)
})
