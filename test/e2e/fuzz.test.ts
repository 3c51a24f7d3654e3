// A short property run through the real broker: mqtt.js devices publish arbitrary payloads
// (bytes, JSON, mutated contract fixtures; ingest/fuzz.test-support.ts) at QoS 1; every
// publish gets its PUBACK, no connection is closed, and ingest saw every message.
import fc from 'fast-check'
import type { MqttClient } from 'mqtt'
import { describe, expect, it } from 'vitest'
import type { Kind } from '../../contracts/device/index.ts'
import { anyMessage, deviceFor } from '../../ingest/fuzz.test-support.ts'
import { nextEvent } from '../harness/mqtt.ts'
import { withSystem } from '../harness/system.ts'

const RUNS = Number(process.env.QINGYUN_FUZZ_E2E_RUNS ?? 60)

describe('arbitrary payloads through the real broker', () => {
  it(`every publish is acknowledged and no device is disconnected (${RUNS} runs)`, async () => {
    const t = await withSystem()
    const clients = new Map<string, MqttClient>()
    let closes = 0
    for (const id of new Set(Object.values(deviceFor))) {
      const c = await t.device(id)
      c.on('close', () => closes++)
      clients.set(id, c)
    }
    let runs = 0
    await fc.assert(
      fc.asyncProperty(anyMessage, async ({ kind, payload }: { kind: Kind; payload: Uint8Array }) => {
        const id = deviceFor[kind]
        const client = clients.get(id)!
        // Without a PUBACK the broker has closed the connection: fail on that, with the input.
        const closed = nextEvent(client, 'close').then(() => {
          throw new Error('connection closed without a PUBACK')
        })
        const packet = await Promise.race([
          client.publishAsync(`v1/devices/${id}/${kind}`, Buffer.from(payload), { qos: 1 }),
          closed
        ])
        expect(packet?.messageId).toBeTypeOf('number')
        runs++
      }),
      // No shrinking: after a failure the connection is gone, so later runs could not tell.
      { numRuns: RUNS, endOnFailure: true }
    )
    expect(closes).toBe(0)
    expect(t.system.ingest.stats().messages).toBe(runs)
    expect(t.system.broker.stats().deniedPublishes).toBe(0)
  }, 120_000)
})
