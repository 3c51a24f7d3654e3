import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { Fact } from '../contracts/facts.ts'
import type { RejectionNotice } from '../contracts/rejection.ts'
import type { Sink } from '../store/sink.ts'
import { lookup, testRegistry } from '../test/fixtures/registry.ts'
import { createIngest } from './ingest.ts'

const ts = 1_700_000_000_000
const ticket = (id: string, netKg: number) => ({
  ts,
  seq: netKg,
  ticketId: id,
  direction: 'in',
  stream: 'residual',
  grossKg: 20_000,
  tareKg: 20_000 - netKg,
  netKg,
  plate: '苏B12345'
})

describe('ingest when the store refuses a point for what it is', () => {
  it('commits the rest of the message and keeps a rejection record for the refused one', async () => {
    const written: string[][] = []
    // The second line of the first write is refused (as InfluxDB refuses a field type conflict).
    const sink: Sink = {
      async write(lines) {
        written.push([...lines])
        return { rejected: written.length === 1 ? [{ index: 1, error: 'field type conflict' }] : [] }
      },
      async close() {}
    }
    const committed: Fact[][] = []
    const notices: RejectionNotice[] = []
    const ingest = createIngest({
      sink,
      registry: lookup(testRegistry().registry),
      limits: { maxPayloadBytes: 65_536, tsMaxFutureMs: 300_000, tsMaxAgeMs: 7 * 86_400_000 },
      log: pino({ level: 'silent' }),
      onCommitted: (facts) => committed.push([...facts]),
      onRejected: (_, n) => notices.push(n)
    })
    await ingest.handle({
      deviceId: 'wb-1',
      kind: 'weighing',
      topic: 'v1/devices/wb-1/weighing',
      payload: new TextEncoder().encode(JSON.stringify([ticket('T-1', 1000), ticket('T-2', 2000)])),
      recvMs: ts + 1000
    })
    expect(written).toHaveLength(2)
    expect(written[1]![0]).toMatch(/^rejection,/)
    expect(committed).toHaveLength(1)
    expect(committed[0]!.map((f) => f.kind)).toEqual(['weighing', 'rejection'])
    expect(committed[0]![0]).toMatchObject({ ticketId: 'T-1' })
    expect(committed[0]![1]).toMatchObject({
      code: 'INGEST_E_STORE',
      error: 'InfluxDB refused the point: field type conflict'
    })
    expect(notices).toHaveLength(1)
    expect(ingest.stats()).toMatchObject({ messages: 1, accepted: 1, rejected: { INGEST_E_STORE: 1 } })
  })
})
