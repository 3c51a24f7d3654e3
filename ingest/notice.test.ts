import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { RejectionNotice } from '../contracts/rejection.ts'
import { lookup, testRegistry } from '../test/fixtures/registry.ts'
import { createIngest } from './ingest.ts'
import type { Sink } from '../store/sink.ts'
import type { Inbound } from './types.ts'

// One rejection notice per PUBLISH, summarising its rejected objects (contracts/rejection.ts).

const registry = lookup(testRegistry().registry)
const limits = { maxPayloadBytes: 1024 * 1024, tsMaxFutureMs: 10 * 60_000, tsMaxAgeMs: 30 * 86_400_000 }
const recvMs = Date.parse('2026-11-28T08:00:00Z')
const sink: Sink = {
  async write() {
    return { rejected: [] }
  },
  async close() {}
}
const inbound = (payload: unknown): Inbound => ({
  deviceId: 'fill-1',
  kind: 'fill',
  topic: 'v1/devices/fill-1/fill',
  payload: Buffer.from(JSON.stringify(payload)),
  recvMs
})

function ingestWithNotices(): { notices: unknown[]; handle: (m: Inbound) => Promise<void> } {
  const notices: unknown[] = []
  const ingest = createIngest({
    sink,
    registry,
    limits,
    log: pino({ level: 'silent' }),
    onCommitted: () => undefined,
    onRejected: (_, n) => notices.push(n)
  })
  return { notices, handle: ingest.handle }
}

describe('rejection notices', () => {
  it('are one per message for a 500-object bad batch: the count, the first 10, and how many more', async () => {
    const { notices, handle } = ingestWithNotices()
    const batch = Array.from({ length: 500 }, (_, i) =>
      i === 7 ? { ts: recvMs - 1000, seq: i, fillPct: 10 } : { ts: recvMs - 1000, seq: i, fillPct: 999 }
    )
    await handle(inbound(batch))
    expect(notices).toHaveLength(1)
    const n = RejectionNotice.parse(notices[0])
    expect(n).toMatchObject({
      v: 1,
      code: 'INGEST_E_SCHEMA',
      index: 0,
      seq: 0,
      rejected: 499,
      objects: 500,
      more: 489,
      topic: 'v1/devices/fill-1/fill'
    })
    expect(n.message).toMatch(/^499 of 500 objects rejected; first: fillPct/)
    expect(n.rejections).toHaveLength(10)
    expect(n.rejections.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 9, 10])
    expect(n.rejections[0]).toMatchObject({ index: 0, seq: 0, code: 'INGEST_E_SCHEMA' })
    expect(n.issues[0]).toMatchObject({ path: 'fillPct' })
  })

  it('keep the v1 fields for a single rejected object, and none is sent when nothing is rejected', async () => {
    const { notices, handle } = ingestWithNotices()
    await handle(inbound({ ts: recvMs - 1000, seq: 3, fillPct: 10 }))
    expect(notices).toHaveLength(0)
    await handle(inbound({ ts: recvMs - 1000, seq: 4, fillPct: -1 }))
    expect(notices).toHaveLength(1)
    const n = RejectionNotice.parse(notices[0])
    expect(n).toMatchObject({
      code: 'INGEST_E_SCHEMA',
      seq: 4,
      rejected: 1,
      objects: 1,
      more: 0,
      rejections: [{ seq: 4, code: 'INGEST_E_SCHEMA' }]
    })
    expect(n.message).not.toMatch(/objects rejected/)
  })
})
