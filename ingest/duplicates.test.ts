import v8 from 'node:v8'
import vm from 'node:vm'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { Fact } from '../contracts/facts.ts'
import { lookup, testRegistry } from '../test/fixtures/registry.ts'
import { DUPLICATE_CACHE_ENTRY_BYTES, createDuplicateCache, lineIdentity } from './duplicates.ts'
import { createIngest } from './ingest.ts'
import type { Sink } from './sink.ts'
import type { Inbound } from './types.ts'

describe('lineIdentity', () => {
  it('is the series key and the timestamp, whatever the fields say', () => {
    expect(lineIdentity('weighing,device=wb\\ 1,site=ts-1 ticket_id="A B",net_kg=1 1700000000000000123')).toBe('weighing,device=wb\\ 1,site=ts-1 1700000000000000123')
    expect(lineIdentity('fill,device=f fill_pct=2 5')).toBe(lineIdentity('fill,device=f fill_pct=3,recv_ms=9i 5'))
  })
})

describe('the duplicate cache', () => {
  const fill = (seq: number): Fact => ({ kind: 'fill', deviceId: 'f', ts: 1000 + seq, seq, recvMs: 5000, binId: 'b', binStream: 'kitchen', district: '梁溪', fillPct: 1 })
  const item = (seq: number) => ({ fact: fill(seq), line: `fill,device=f fill_pct=1 ${1000 + seq}000000` })

  it('reports an identity committed again, once per retransmission', () => {
    const c = createDuplicateCache()
    expect(c.committed([item(1), item(2)], 5000)).toEqual([])
    expect(c.committed([item(2)], 6000)).toEqual([{ kind: 'duplicate', deviceId: 'f', ts: 1002, recvMs: 6000, seq: 2, dataKind: 'fill', identity: 'fill,device=f 1002000000' }])
    expect(c.committed([item(2)], 7000)).toHaveLength(1)
  })

  it('is bounded, forgetting the least recently committed identity', () => {
    const c = createDuplicateCache({ maxEntries: 2 })
    c.committed([item(1), item(2)], 0)
    c.committed([item(1)], 0) // refreshes 1
    c.committed([item(3)], 0) // evicts 2
    expect(c.size()).toBe(2)
    expect(c.committed([item(2)], 0)).toEqual([])
    expect(c.committed([item(1)], 0)).toEqual([])
  })
})

describe('the duplicate cache in bytes', () => {
  // A load-test line: a two-byte district makes V8 keep the whole line as UTF-16.
  const line = (i: number): string =>
    `fill,device=load-fill-${i % 10_000},bin=load-bin-${i % 10_000},stream=residual,district=梁溪 fill_pct=1,seq=${i}i ${1_700_000_000_000 + i}000000`
  const fact = (i: number): Fact => ({ kind: 'fill', deviceId: 'f', ts: i, seq: i, recvMs: 0, binId: 'b', binStream: 'residual', district: '梁溪', fillPct: 1 })

  it('holds as many identities as its byte budget pays for', () => {
    const c = createDuplicateCache({ maxBytes: 2 * DUPLICATE_CACHE_ENTRY_BYTES })
    c.committed([1, 2, 3].map((i) => ({ fact: fact(i), line: line(i) })), 0)
    expect(c.size()).toBe(2)
    expect(c.committed([{ fact: fact(3), line: line(3) }], 0)).toHaveLength(1)
    expect(c.committed([{ fact: fact(1), line: line(1) }], 0)).toEqual([])
  })

  it('keeps a fixed-size key per identity, not the line it was cut from', () => {
    v8.setFlagsFromString('--expose-gc')
    const gc = vm.runInNewContext('gc') as () => void
    const n = 50_000
    gc()
    const before = process.memoryUsage().heapUsed
    const c = createDuplicateCache({ maxBytes: n * DUPLICATE_CACHE_ENTRY_BYTES })
    for (let i = 0; i < n; i++) c.committed([{ fact: fact(i), line: line(i) }], 0)
    gc()
    const perEntry = (process.memoryUsage().heapUsed - before) / n
    expect(c.size()).toBe(n)
    expect(perEntry).toBeLessThanOrEqual(DUPLICATE_CACHE_ENTRY_BYTES)
  })
})

describe('ingest with the duplicate cache', () => {
  it('writes a duplicate point and commits a duplicate fact for a retransmitted ticket', async () => {
    const written: string[][] = []
    const sink: Sink = { async write(lines) { written.push([...lines]); return { rejected: [] } }, async close() {} }
    const committed: Fact[][] = []
    const ingest = createIngest({
      sink,
      registry: lookup(testRegistry().registry),
      limits: { maxPayloadBytes: 65_536, tsMaxFutureMs: 300_000, tsMaxAgeMs: 7 * 86_400_000 },
      log: pino({ level: 'silent' }),
      onCommitted: (facts) => committed.push([...facts]),
      onRejected: () => undefined
    })
    const ts = 1_700_000_000_000
    const payload = new TextEncoder().encode(JSON.stringify({ ts, seq: 4, ticketId: 'T-9', direction: 'in', stream: 'residual', grossKg: 20_000, tareKg: 12_000, netKg: 8000, plate: '苏B12345' }))
    const msg = (recvMs: number): Inbound => ({ deviceId: 'wb-1', kind: 'weighing', topic: 'v1/devices/wb-1/weighing', payload, recvMs })
    await ingest.handle(msg(ts + 1000))
    await ingest.handle(msg(ts + 9000))
    expect(committed[0]!.map((f) => f.kind)).toEqual(['weighing'])
    expect(committed[1]!.map((f) => f.kind)).toEqual(['weighing', 'duplicate'])
    expect(committed[1]![1]).toMatchObject({ kind: 'duplicate', deviceId: 'wb-1', ts, recvMs: ts + 9000, seq: 4, dataKind: 'weighing', ticketId: 'T-9' })
    expect(written).toHaveLength(3)
    expect(written[2]).toHaveLength(1)
    expect(written[2]![0]).toMatch(/^duplicate,device=wb-1,kind=weighing identity="weighing,device=wb-1,.* 1700000000000\d{6}",ticket_id="T-9",seq=4i,event_ms=1700000000000i,recv_ms=1700000009000i 1700000009000\d{6}$/)
    expect(ingest.stats().duplicates).toBe(1)
  })
})
