import { describe, expect, it } from 'vitest'
import { rows } from '../../influx/client.ts'
import { withSystem, type TestSystem } from '../harness/system.ts'

// Poison messages on real parts: mqtt.js → Aedes → ingest → InfluxDB. Each used to close the
// connection without a PUBACK, so mqtt.js resent it after every reconnect and nothing the
// device sent afterwards was stored.

async function select(t: TestSystem, q: string): Promise<Record<string, unknown>[]> {
  await t.forwarded() // acknowledged means durable in the spool; InfluxDB follows
  const [result] = await t.db.client.query(q, { epoch: 'ms' })
  return rows(result)
}

describe('poison messages', () => {
  it('are acknowledged and recorded, and the valid messages around them are stored', async () => {
    const t = await withSystem()
    const dev = await t.device('fill-1')
    let closes = 0
    dev.on('close', () => closes++)
    const ts = Date.now() - 60_000
    const fill = (seq: number) => ({ ts: ts + seq, seq, fillPct: 40 + seq })
    const poison = [
      ['v1/devices/fill-1/status', '{"ts":8640000000000001}'],
      ['v1/devices/fill-1/status', '['.repeat(5000) + ']'.repeat(5000)],
      ['v1/devices/fill-1/fill', `[${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}]`],
      ['v1/devices/fill-1/fill', JSON.stringify([fill(1), { ts: 8_640_000_000_000_001, fillPct: 1 }, fill(2)])]
    ] as const
    for (const [topic, payload] of poison) {
      const packet = await dev.publishAsync(topic, payload, { qos: 1 })
      expect(packet?.messageId, `no PUBACK for ${payload.slice(0, 40)}`).toBeTypeOf('number')
    }
    for (let seq = 3; seq <= 5; seq++)
      await dev.publishAsync('v1/devices/fill-1/fill', JSON.stringify(fill(seq)), { qos: 1 })
    expect(closes).toBe(0)
    expect(dev.connected).toBe(true)

    const rejections = await select(t, 'SELECT "error", "index" FROM "rejection" GROUP BY "code"')
    expect(rejections.map((r) => r.code).sort()).toEqual([
      'INGEST_E_JSON',
      'INGEST_E_JSON',
      'INGEST_E_TS_RANGE',
      'INGEST_E_TS_RANGE'
    ])
    expect(rejections.filter((r) => r.code === 'INGEST_E_JSON').every((r) => /depth limit/.test(String(r.error)))).toBe(
      true
    )
    expect((await select(t, 'SELECT "seq" FROM "fill"')).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5])
  })
})
