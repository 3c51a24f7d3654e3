import v8 from 'node:v8'
import vm from 'node:vm'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { Fact } from '../contracts/facts.ts'
import { lookup, testRegistry } from '../test/fixtures/registry.ts'
import { DUPLICATE_CACHE_ENTRY_BYTES, createDuplicateCache, lineContent, lineIdentity } from './duplicates.ts'
import { createIngest } from './ingest.ts'
import type { Sink } from '../store/sink.ts'
import type { Inbound } from './types.ts'

describe('lineIdentity', () => {
  it('is the series key and the timestamp, whatever the fields say', () => {
    expect(lineIdentity('weighing,device=wb\\ 1,site=ts-1 ticket_id="A B",net_kg=1 1700000000000000123')).toBe(
      'weighing,device=wb\\ 1,site=ts-1 1700000000000000123'
    )
    expect(lineIdentity('fill,device=f fill_pct=2 5')).toBe(lineIdentity('fill,device=f fill_pct=3,recv_ms=9i 5'))
  })
})

describe('the duplicate cache', () => {
  const fill = (seq: number): Fact => ({
    kind: 'fill',
    deviceId: 'f',
    ts: 1000 + seq,
    seq,
    recvMs: 5000,
    binId: 'b',
    binStream: 'kitchen',
    district: '梁溪',
    fillPct: 1
  })
  const item = (seq: number) => ({ fact: fill(seq), line: `fill,device=f fill_pct=1 ${1000 + seq}000000` })

  it('reports an identity committed again, once per retransmission', () => {
    const c = createDuplicateCache()
    expect(c.committed([item(1), item(2)], 5000)).toEqual({ duplicates: [], conflicts: [] })
    expect(c.committed([item(2)], 6000).duplicates).toEqual([
      {
        kind: 'duplicate',
        deviceId: 'f',
        ts: 1002,
        recvMs: 6000,
        seq: 2,
        dataKind: 'fill',
        identity: 'fill,device=f 1002000000'
      }
    ])
    expect(c.committed([item(2)], 7000).duplicates).toHaveLength(1)
  })

  it('is bounded, forgetting the least recently committed identity', () => {
    const c = createDuplicateCache({ maxEntries: 2 })
    c.committed([item(1), item(2)], 0)
    c.committed([item(1)], 0) // refreshes 1
    c.committed([item(3)], 0) // evicts 2
    expect(c.size()).toBe(2)
    expect(c.committed([item(2)], 0).duplicates).toEqual([])
    expect(c.committed([item(1)], 0).duplicates).toEqual([])
  })
})

describe('conflicts in the duplicate cache', () => {
  const fill = (pct: number): Fact => ({
    kind: 'fill',
    deviceId: 'f',
    ts: 1000,
    seq: 1,
    recvMs: 5000,
    binId: 'b',
    binStream: 'kitchen',
    district: '梁溪',
    fillPct: pct
  })
  const item = (pct: number, recv: number) => ({
    fact: fill(pct),
    line: `fill,device=f fill_pct=${pct},seq=1i,recv_ms=${recv}i 1000000001`
  })

  it('tells a retransmission with other content (a conflict) from one with the same content (a duplicate)', () => {
    const c = createDuplicateCache()
    c.committed([item(40, 5000)], 5000)
    expect(c.committed([item(40, 6000)], 6000)).toMatchObject({ duplicates: [{ kind: 'duplicate' }], conflicts: [] })
    const r = c.committed([item(55, 7000)], 7000)
    expect(r.duplicates).toEqual([])
    expect(r.conflicts).toEqual([
      {
        kind: 'conflict',
        deviceId: 'f',
        ts: 1000,
        recvMs: 7000,
        seq: 1,
        dataKind: 'fill',
        identity: 'fill,device=f 1000000001',
        previous: 'fill_pct=40,seq=1i',
        current: 'fill_pct=55,seq=1i'
      }
    ])
    // The later content is now the one remembered: sending it again is a plain duplicate.
    expect(c.committed([item(55, 8000)], 8000).duplicates).toHaveLength(1)
  })

  it('ignores recv_ms, and only where it is the last field', () => {
    expect(lineContent('w,device=a ticket_id="x recv_ms=1i",net_kg=1,recv_ms=99i 5')).toBe(
      'ticket_id="x recv_ms=1i",net_kg=1'
    )
    expect(lineContent('w,device=a recv_ms=99i 5')).toBe('')
  })
})

describe('the duplicate cache in bytes', () => {
  // A load-test line: a two-byte district makes V8 keep the whole line as UTF-16.
  const line = (i: number): string =>
    `fill,device=load-fill-${i % 10_000},bin=load-bin-${i % 10_000},stream=residual,district=梁溪 fill_pct=1,seq=${i}i ${1_700_000_000_000 + i}000000`
  const fact = (i: number): Fact => ({
    kind: 'fill',
    deviceId: 'f',
    ts: i,
    seq: i,
    recvMs: 0,
    binId: 'b',
    binStream: 'residual',
    district: '梁溪',
    fillPct: 1
  })

  // An entry costs its fixed part plus its content (kept for conflict records) at 2 bytes a character.
  const cost = (i: number): number => DUPLICATE_CACHE_ENTRY_BYTES + 2 * lineContent(line(i)).length

  it('holds as many identities as its byte budget pays for', () => {
    const c = createDuplicateCache({ maxBytes: 2 * cost(1) + 10 })
    c.committed(
      [1, 2, 3].map((i) => ({ fact: fact(i), line: line(i) })),
      0
    )
    expect(c.size()).toBe(2)
    expect(c.committed([{ fact: fact(3), line: line(3) }], 0).duplicates).toHaveLength(1)
    expect(c.committed([{ fact: fact(1), line: line(1) }], 0).duplicates).toEqual([])
  })

  it('keeps a fixed-size key per identity, not the line it was cut from', () => {
    v8.setFlagsFromString('--expose-gc')
    const gc = vm.runInNewContext('gc') as () => void
    const n = 50_000
    gc()
    const before = process.memoryUsage().heapUsed
    const c = createDuplicateCache({ maxBytes: n * cost(n) })
    for (let i = 0; i < n; i++) c.committed([{ fact: fact(i), line: line(i) }], 0)
    gc()
    const perEntry = (process.memoryUsage().heapUsed - before) / n
    expect(c.size()).toBe(n)
    expect(perEntry).toBeLessThanOrEqual(cost(n))
  })
})

describe('ingest with the duplicate cache', () => {
  it('writes a duplicate point and commits a duplicate fact for a retransmitted ticket', async () => {
    const written: string[][] = []
    const sink: Sink = {
      async write(lines) {
        written.push([...lines])
        return { rejected: [] }
      },
      async close() {}
    }
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
    const payload = new TextEncoder().encode(
      JSON.stringify({
        ts,
        seq: 4,
        ticketId: 'T-9',
        direction: 'in',
        stream: 'residual',
        grossKg: 20_000,
        tareKg: 12_000,
        netKg: 8000,
        plate: '苏B12345'
      })
    )
    const msg = (recvMs: number): Inbound => ({
      deviceId: 'wb-1',
      kind: 'weighing',
      topic: 'v1/devices/wb-1/weighing',
      payload,
      recvMs
    })
    await ingest.handle(msg(ts + 1000))
    await ingest.handle(msg(ts + 9000))
    expect(committed[0]!.map((f) => f.kind)).toEqual(['weighing'])
    expect(committed[1]!.map((f) => f.kind)).toEqual(['weighing', 'duplicate'])
    expect(committed[1]![1]).toMatchObject({
      kind: 'duplicate',
      deviceId: 'wb-1',
      ts,
      recvMs: ts + 9000,
      seq: 4,
      dataKind: 'weighing',
      ticketId: 'T-9'
    })
    expect(written).toHaveLength(3)
    expect(written[2]).toHaveLength(1)
    expect(written[2]![0]).toMatch(
      /^duplicate,device=wb-1,kind=weighing identity="weighing,device=wb-1,.* 1700000000000\d{6}",ticket_id="T-9",seq=4i,event_ms=1700000000000i,recv_ms=1700000009000i 1700000009000\d{6}$/
    )
    expect(ingest.stats().duplicates).toBe(1)
  })
})
