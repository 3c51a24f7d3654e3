// Each kind's point and its reverse agree through a real InfluxDB: fact → point → line protocol
// → /write → SELECT (epoch=ms) → row → the same fact. What storage does not keep: the
// sub-millisecond offset of a point's time (README.md), and optional strings written empty
// (an empty tag is omitted and `rowToFact` reads an empty field as absent), so none is used here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Alert } from '../../contracts/ops.ts'
import type { Fact } from '../../contracts/facts.ts'
import { createTestDatabase, type TestDatabase } from '../../test/harness/influxdb.ts'
import { rows } from '../client.ts'
import { toLine } from '../lineProtocol.ts'
import { alertLine, alertPoint, rowToAlert } from './alert.ts'
import { rowToFact, toPoint } from './index.ts'
import { FIELD, MEASUREMENT, q, TAG } from './names.ts'

let t: TestDatabase
beforeAll(async () => {
  t = await createTestDatabase('schema_roundtrip')
})
afterAll(async () => {
  await t?.drop()
})

const T0 = Date.UTC(2026, 5, 15, 1, 2, 3, 456)
const awkward = '梁溪 "A", x=y\\z'

/** Every kind twice: every optional field set, and none. */
const facts: Fact[] = [
  {
    kind: 'weighing',
    deviceId: 'wb-1',
    ts: T0,
    recvMs: T0 + 700,
    seq: 1_234_567,
    siteId: 'sc-ls-01',
    siteType: 'sorting',
    district: '梁溪',
    ticketId: `T-${awkward}`,
    direction: 'out',
    stream: 'recyclable',
    material: 'copper',
    grossKg: 18240.5,
    tareKg: 10120.25,
    netKg: 8120.25,
    plate: '苏B12345'
  },
  {
    kind: 'weighing',
    deviceId: 'wb 2,x',
    ts: T0,
    recvMs: T0,
    siteId: 'ts-lx-01',
    siteType: 'transfer',
    district: 'd',
    ticketId: 'T-2',
    direction: 'in',
    stream: 'residual',
    grossKg: 0,
    tareKg: 0,
    netKg: 0,
    plate: ''
  },
  {
    kind: 'fill',
    deviceId: 'fill-1',
    ts: T0 + 1,
    recvMs: T0 + 2,
    seq: 7,
    binId: 'bin 1',
    binStream: 'kitchen',
    district: '锡山',
    fillPct: 101.5,
    batteryPct: 61,
    tempC: -3.25
  },
  {
    kind: 'fill',
    deviceId: 'fill-2',
    ts: T0 + 1,
    recvMs: T0 + 2,
    binId: 'b2',
    binStream: 'residual',
    district: 'd',
    fillPct: 0
  },
  {
    kind: 'position',
    deviceId: 'gps-1',
    ts: T0 + 3,
    recvMs: T0 + 4,
    seq: 0,
    vehicleId: 'v=1',
    vehicleType: 'compactor',
    lat: 31.5689123,
    lon: 120.2991456,
    speedKmh: 42.5,
    headingDeg: 359.9,
    ignition: false
  },
  {
    kind: 'position',
    deviceId: 'gps-2',
    ts: T0 + 3,
    recvMs: T0 + 4,
    vehicleId: 'v2',
    vehicleType: 'x',
    lat: -1,
    lon: 0,
    speedKmh: 0
  },
  {
    kind: 'status',
    deviceId: 'fill-1',
    ts: T0 + 5,
    recvMs: T0 + 6,
    seq: 999_999,
    deviceType: 'fill-sensor',
    batteryPct: 12.5,
    rssiDbm: -101,
    firmware: `fw ${awkward}`,
    uptimeS: 86_400
  },
  { kind: 'status', deviceId: 'gps-2', ts: T0 + 5, recvMs: T0 + 6, deviceType: 'gps' },
  {
    kind: 'rejection',
    deviceId: 'wb-1',
    recvMs: T0 + 9,
    code: 'INGEST_E_SCHEMA',
    msgKind: 'weighing',
    topic: 'v1/devices/wb-1/weighing',
    index: 3,
    ts: T0 + 8,
    seq: 5,
    error: `net_kg: ${awkward}`,
    excerpt: '{"ticket_id":"T-1","net_kg":"x"}'
  },
  {
    kind: 'rejection',
    deviceId: 'wb-1',
    recvMs: T0 + 10,
    code: 'INGEST_E_JSON',
    msgKind: 'weighing',
    topic: 'v1/devices/wb-1/weighing',
    error: 'Unexpected token',
    excerpt: '{"ticket'
  },
  {
    kind: 'duplicate',
    deviceId: 'wb-1',
    ts: T0,
    recvMs: T0 + 60_000,
    seq: 1,
    dataKind: 'weighing',
    identity: 'weighing,device=wb-1,site=sc-ls-01 1781485323456000001',
    ticketId: 'T-1'
  },
  {
    kind: 'duplicate',
    deviceId: 'fill-2',
    ts: T0 + 1,
    recvMs: T0 + 61_000,
    dataKind: 'fill',
    identity: 'fill,device=fill-2 1'
  },
  {
    kind: 'conflict',
    deviceId: 'wb-1',
    ts: T0,
    recvMs: T0 + 62_000,
    seq: 1,
    dataKind: 'weighing',
    identity: 'weighing,device=wb-1 2',
    ticketId: 'T-1',
    previous: 'ticket_id="T-1",net_kg=8120',
    current: `ticket_id="T-1",net_kg=8121,plate="${awkward}"`
  },
  {
    kind: 'conflict',
    deviceId: 'fill-2',
    ts: T0 + 1,
    recvMs: T0 + 63_000,
    dataKind: 'fill',
    identity: 'fill,device=fill-2 3',
    previous: 'fill_pct=1',
    current: 'fill_pct=2'
  }
]

const alerts: Alert[] = [
  {
    id: '0123456789abcdef01234567',
    type: 'site-will-not-clear',
    severity: 'critical',
    subject: { kind: 'site', id: 'ts-lx-01' },
    state: 'open',
    openedAt: T0,
    updatedAt: T0,
    resolvedAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    message: `梁溪区扬名转运站 will not clear: ${awkward}`,
    details: { projectedStockT: 42.1, day: '2026-06-15' }
  },
  {
    id: 'fedcba9876543210fedcba98',
    type: 'bin-overflow',
    severity: 'warning',
    subject: { kind: 'bin', id: 'bin 1' },
    state: 'resolved',
    openedAt: T0 + 1,
    updatedAt: T0 + 5,
    resolvedAt: T0 + 5,
    acknowledgedAt: T0 + 2,
    acknowledgedBy: 'op-zhang',
    message: 'bin 1 overflowed',
    details: {}
  }
]

const names = new Set<string>([...Object.values(TAG), ...Object.values(FIELD)])

describe('storage schema round trip', () => {
  beforeAll(async () => {
    const res = await t.client.write([...facts.map((f) => toLine(toPoint(f))), ...alerts.map(alertLine)].join('\n'))
    expect(res).toEqual({ status: 204, body: '' })
  })

  it.each(Object.keys(rowToFact) as (keyof typeof rowToFact)[])('%s: every fact reads back as written', async (m) => {
    const [r] = await t.client.query(`SELECT * FROM ${q(m)} GROUP BY *`, { epoch: 'ms' })
    const back = rows(r).map((row) => rowToFact[m](row))
    const written = facts.filter((f) => toPoint(f).measurement === m)
    expect(written).toHaveLength(2)
    const key = (f: Fact): string => JSON.stringify([f.deviceId, f.recvMs, f.ts])
    const byKey = (a: Fact, b: Fact): number => key(a).localeCompare(key(b))
    expect(back.sort(byKey)).toEqual(written.sort(byKey))
  })

  it('alert: every episode reads back as written', async () => {
    const [r] = await t.client.query(`SELECT * FROM ${q(MEASUREMENT.alert)} GROUP BY *`, { epoch: 'ms' })
    const back = rows(r)
      .map(rowToAlert)
      .sort((a, b) => (a?.openedAt ?? 0) - (b?.openedAt ?? 0))
    expect(back).toEqual(alerts)
  })

  it('every tag and field a point writes is a name in names.ts', () => {
    const points = [...facts.map(toPoint), ...alerts.map(alertPoint)]
    expect(new Set(points.map((p) => p.measurement))).toEqual(new Set(Object.values(MEASUREMENT)))
    const keys = new Set(points.flatMap((p) => [...Object.keys(p.tags), ...Object.keys(p.fields)]))
    expect([...keys].filter((k) => !names.has(k))).toEqual([])
  })
})
