import { describe, expect, it } from 'vitest'
import { rawSession } from '../harness/rawMqtt.ts'
import { withSystem, type TestSystem } from '../harness/system.ts'

// Faults stay with their client: one MQTT client that stops reading must neither take the
// node down nor hold back anyone else's PUBACK (docs/architecture.md, "Limits and
// protections" in the README).

const FIRMWARE = 'f'.repeat(64)
const statusBatch = (n: number, extra: Record<string, unknown> = {}): string =>
  JSON.stringify(
    Array.from({ length: n }, (_, i) => ({ ts: Date.now() - 60_000 + i, batteryPct: 50, firmware: FIRMWARE, ...extra }))
  )

/** A raw client that subscribes to `filters`, gets its SUBACK, then never reads again. */
async function stalledSubscriber(t: TestSystem, username: string, filters: string[]) {
  const { client, returnCode } = await rawSession(t.system.broker.mqttPort, username, t.tokens[username])
  expect(returnCode).toBe(0)
  client.send({ cmd: 'subscribe', messageId: 1, subscriptions: filters.map((topic) => ({ topic, qos: 1 })) })
  const suback = await client.next('suback')
  expect((suback as { granted: number[] }).granted.every((g) => g === 1)).toBe(true)
  client.stall()
  return client
}

describe('a client that stops reading', () => {
  it('a stalled service consumer of facts is cut off, and devices keep getting PUBACKs', async () => {
    const t = await withSystem({ env: { QINGYUN_MQTT_MAX_OUTGOING_BYTES: String(256 * 1024) } })
    const stuck = await stalledSubscriber(t, 'svc-dash', ['$qingyun/v1/facts/#', 'v1/devices/#'])
    const wb = await t.device('wb-1')
    // ~120 kB reaches the stalled consumer per message (the payload and its facts): far
    // more than the kernel buffers on both ends hold, so the broker's own buffer fills.
    for (let i = 0; i < 60; i++) await wb.publishAsync('v1/devices/wb-1/status', statusBatch(500), { qos: 1 })
    const other = await t.device('wb-2')
    await other.publishAsync('v1/devices/wb-2/status', statusBatch(1), { qos: 1 })
    // The broker closed it (its FIN is seen once the buffered bytes are read).
    stuck.socket.resume()
    await stuck.closed()
    expect(t.system.broker.stats().slowClientDisconnects).toBe(1)
  }, 25_000)

  it('a device stuck on its own errors topic does not crash the node or stall others', async () => {
    const t = await withSystem()
    const stuck = await stalledSubscriber(t, 'gps-1', ['v1/devices/gps-1/errors'])
    // 40 batches of 500 invalid objects: 20,000 rejections for a client that never reads.
    const bad = statusBatch(500, { batteryPct: 'not a number' })
    for (let i = 0; i < 40; i++)
      stuck.send({
        cmd: 'publish',
        topic: 'v1/devices/gps-1/status',
        payload: Buffer.from(bad),
        qos: 1,
        messageId: i + 1
      })
    const wb = await t.device('wb-1')
    for (let i = 0; i < 20; i++) await wb.publishAsync('v1/devices/wb-1/status', statusBatch(500), { qos: 1 })
    await expect.poll(() => t.system.ingest.stats().rejected.INGEST_E_SCHEMA ?? 0, { timeout: 15_000 }).toBe(20_000)
    await wb.publishAsync('v1/devices/wb-1/status', statusBatch(1), { qos: 1 })
  }, 25_000)
})
