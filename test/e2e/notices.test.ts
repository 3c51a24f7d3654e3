import { describe, expect, it } from 'vitest'
import { withSystem } from '../harness/system.ts'

// Rejection notices over the real broker: one per PUBLISH, however many objects it rejected.

describe('rejection notices on the errors topic', () => {
  it('are one per message: a 500-object bad batch is one notice', async () => {
    const t = await withSystem()
    const dev = await t.device('fill-1')
    await dev.subscribeAsync('v1/devices/fill-1/errors', { qos: 1 })
    const received: Record<string, unknown>[] = []
    const second = new Promise<void>((resolve) => {
      dev.on('message', (_topic, payload) => {
        received.push(JSON.parse(payload.toString()) as Record<string, unknown>)
        if (received.some((n) => n.code === 'INGEST_E_JSON')) resolve()
      })
    })
    const ts = Date.now() - 60_000
    await dev.publishAsync(
      'v1/devices/fill-1/fill',
      JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ ts: ts + i, seq: i, fillPct: 999 }))),
      { qos: 1 }
    )
    // A second bad message: notices of one session arrive in order ([MQTT-4.6.0-6]), so when
    // its notice is here, every notice of the batch has arrived too.
    await dev.publishAsync('v1/devices/fill-1/fill', 'not json', { qos: 1 })
    await second
    expect(received).toHaveLength(2)
    expect(received[0]).toMatchObject({ code: 'INGEST_E_SCHEMA', rejected: 500, objects: 500, more: 490 })
    expect(received[1]).toMatchObject({ code: 'INGEST_E_JSON', rejected: 1 })
  })
})
