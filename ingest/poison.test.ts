import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { Fact } from '../contracts/facts.ts'
import type { RejectionNotice } from '../contracts/rejection.ts'
import { lookup, testRegistry } from '../test/fixtures/registry.ts'
import { createIngest } from './ingest.ts'
import { processMessage } from './process.ts'
import type { Sink } from '../store/sink.ts'
import type { Inbound, Limits, RegistryLookup } from './types.ts'

// Poison messages: inputs that used to throw out of processMessage/handle, so the broker
// closed the connection without an ack, the device resent them after every reconnect and
// nothing it sent afterwards was ever stored (README, "Bad input is acknowledged and accounted
// for").

const registry = lookup(testRegistry().registry)
const limits: Limits = { maxPayloadBytes: 256 * 1024, tsMaxFutureMs: 10 * 60_000, tsMaxAgeMs: 30 * 86_400_000 }
const recvMs = Date.parse('2026-11-28T08:00:00Z')
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const inbound = (deviceId: string, kind: Inbound['kind'], payload: string): Inbound => ({
  deviceId,
  kind,
  topic: `v1/devices/${deviceId}/${kind}`,
  payload: enc(payload),
  recvMs
})
const status = (extra: Record<string, unknown> = {}) => ({ ts: recvMs - 60_000, batteryPct: 80, ...extra })

describe('processMessage on poison', () => {
  it('rejects a ts beyond the Date range (8.64e15 + 1) as out of range, for every kind', () => {
    for (const [deviceId, kind] of [
      ['wb-1', 'status'],
      ['wb-1', 'weighing'],
      ['fill-1', 'fill'],
      ['gps-1', 'position']
    ] as const) {
      const out = processMessage(inbound(deviceId, kind, '{"ts":8640000000000001}'), registry, limits)
      expect(out.accepted).toEqual([])
      expect(out.rejected).toHaveLength(1)
    }
    const out = processMessage(inbound('wb-1', 'status', '{"ts":8640000000000001}'), registry, limits)
    expect(out.rejected[0]!.fact.code).toBe('INGEST_E_TS_RANGE')
    expect(out.rejected[0]!.fact.error).toMatch(/8640000000000001/)
  })

  it('rejects an out-of-range ts alone and keeps the rest of its batch', () => {
    const payload = JSON.stringify([
      status({ seq: 1 }),
      { ts: 8_640_000_000_000_001, seq: 2 },
      status({ seq: 3, ts: recvMs - 30_000 }),
      { ts: -8_640_000_000_000_001 }
    ])
    const out = processMessage(inbound('wb-1', 'status', payload), registry, limits)
    expect(out.accepted.map((f) => f.seq)).toEqual([1, 3])
    expect(out.rejected.map((r) => [r.fact.index, r.fact.code])).toEqual([
      [1, 'INGEST_E_TS_RANGE'],
      [3, 'INGEST_E_SCHEMA']
    ])
  })

  it('refuses deep nesting before JSON.parse, naming the depth limit', () => {
    for (const payload of [
      '['.repeat(5000) + ']'.repeat(5000),
      '{"a":'.repeat(5000) + '1' + '}'.repeat(5000),
      `[${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}]`,
      '['.repeat(200_000)
    ]) {
      const out = processMessage(inbound('wb-1', 'status', payload), registry, limits)
      expect(out.accepted).toEqual([])
      expect(out.rejected.map((r) => r.fact.code)).toEqual(['INGEST_E_JSON'])
      expect(out.rejected[0]!.fact.error).toMatch(/nest.*depth.*limit is 32/)
    }
  })

  it('counts brackets inside strings as text, not nesting', () => {
    const out = processMessage(
      inbound('wb-1', 'status', JSON.stringify(status({ firmware: '['.repeat(60) + '\\"{' }))),
      registry,
      limits
    )
    expect(out.rejected).toEqual([])
    expect(out.accepted).toHaveLength(1)
  })

  it('turns a throw while processing one object into a rejection of that object alone', () => {
    // A registry that fails for one site: the real store cannot be made to throw, so this is
    // the boundary where the fault is injected.
    const broken: RegistryLookup = {
      ...registry,
      site: (id) =>
        id === 'ts-1'
          ? (() => {
              throw new Error('registry index corrupt')
            })()
          : registry.site(id)
    }
    const t = (id: string) => ({
      ts: recvMs - 60_000,
      ticketId: id,
      direction: 'in',
      stream: 'residual',
      grossKg: 20_000,
      tareKg: 12_000,
      netKg: 8000,
      plate: '苏B12345'
    })
    const out = processMessage(inbound('wb-1', 'weighing', JSON.stringify([t('A'), t('B')])), broken, limits)
    expect(out.accepted).toEqual([])
    expect(out.rejected.map((r) => [r.fact.index, r.fact.code, r.ticketId])).toEqual([
      [0, 'INGEST_E_INTERNAL', 'A'],
      [1, 'INGEST_E_INTERNAL', 'B']
    ])
    const ok = processMessage(inbound('wb-2', 'weighing', JSON.stringify([t('A')])), broken, limits)
    expect(ok.accepted).toHaveLength(1)
  })
})

describe('ingest.handle on poison', () => {
  const memorySink = (): Sink & { lines: string[] } => {
    const lines: string[] = []
    return {
      lines,
      async write(ls) {
        lines.push(...ls)
        return { rejected: [] }
      },
      async close() {}
    }
  }

  it('resolves, stores a rejection record and the valid objects beside it', async () => {
    const sink = memorySink()
    const notices: RejectionNotice[] = []
    const committed: Fact[] = []
    const ingest = createIngest({
      sink,
      registry,
      limits,
      log: pino({ level: 'silent' }),
      onCommitted: (f) => committed.push(...f),
      onRejected: (_, n) => notices.push(n)
    })
    await ingest.handle(inbound('wb-1', 'status', '{"ts":8640000000000001}'))
    await ingest.handle(inbound('wb-1', 'status', '['.repeat(5000) + ']'.repeat(5000)))
    await ingest.handle(inbound('wb-1', 'status', JSON.stringify([status({ seq: 1 }), { ts: 8_640_000_000_000_001 }])))
    expect(sink.lines.filter((l) => l.startsWith('rejection,'))).toHaveLength(3)
    expect(committed.filter((f) => f.kind === 'status')).toHaveLength(1)
    expect(notices.map((n) => n.code)).toEqual(['INGEST_E_TS_RANGE', 'INGEST_E_JSON', 'INGEST_E_TS_RANGE'])
  })

  it('resolves when a listener throws after the message is durable', async () => {
    const sink = memorySink()
    const ingest = createIngest({
      sink,
      registry,
      limits,
      log: pino({ level: 'silent' }),
      onCommitted: () => {
        throw new Error('listener broke')
      },
      onRejected: () => {
        throw new Error('listener broke')
      }
    })
    await expect(
      ingest.handle(inbound('wb-1', 'status', JSON.stringify([status(), { ts: 1 }])))
    ).resolves.toBeUndefined()
    expect(sink.lines).toHaveLength(2)
  })
})
