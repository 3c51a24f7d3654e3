import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import mqttPacket from 'mqtt-packet'
import { pino } from 'pino'
import { describe, expect, it, onTestFinished } from 'vitest'
import { parseConfig } from '../lib/config.ts'
import { saveRegistry } from '../registry/load.ts'
import { createRegistryStore } from '../registry/store.ts'
import { testRegistry } from '../test/fixtures/registry.ts'
import { connectPacket, rawConnect } from '../test/harness/rawMqtt.ts'
import type { Inbound } from './hooks.ts'
import { createBroker } from './server.ts'

// The real broker on a real socket; only durability is held by hand (the one thing the spool
// cannot be made to do on cue), so what is read and what is acked can be watched.

interface Held {
  readonly msg: Inbound
  release(): void
}

async function brokerWithHeldAcks(env: Record<string, string> = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-pipeline-'))
  const { registry, tokens } = testRegistry()
  const registryPath = path.join(dir, 'registry.json')
  await saveRegistry(registryPath, registry)
  const config = parseConfig({
    QINGYUN_DATA_DIR: dir,
    QINGYUN_REGISTRY: registryPath,
    QINGYUN_MQTT_PORT: '0',
    QINGYUN_INFLUX_URL: 'http://127.0.0.1:9',
    ...env
  })
  const log = pino({ level: 'silent' })
  const accounts = await createRegistryStore({ path: registryPath, log, lock: config.registryLock })
  const held: Held[] = []
  const broker = await createBroker(
    {
      host: '127.0.0.1',
      mqttPort: 0,
      wsPort: null,
      allowAnonymous: false,
      limits: config.limits,
      mqtt: config.mqtt
    },
    {
      accounts,
      log,
      onPublish: (msg) => new Promise<void>((resolve) => held.push({ msg, release: resolve }))
    }
  )
  await broker.listen()
  onTestFinished(async () => {
    await broker.close()
    await accounts.close()
    await rm(dir, { recursive: true, force: true })
  })
  const client = await rawConnect(broker.mqttPort)
  client.send(connectPacket('fill-1', tokens['fill-1']))
  await client.next('connack')
  /** The publishes with these message ids, in one socket write. */
  const publish = (ids: number | readonly number[]): void =>
    client.sendBytes(
      Buffer.concat(
        [ids].flat().map((messageId) =>
          mqttPacket.generate({
            cmd: 'publish',
            topic: 'v1/devices/fill-1/fill',
            qos: 1,
            dup: false,
            retain: false,
            messageId,
            payload: JSON.stringify({ ts: Date.now(), fillPct: messageId })
          })
        )
      )
    )
  const acks = (): number[] => client.received.filter((p) => p.cmd === 'puback').map((p) => p.messageId!)
  return { broker, held, publish, acks }
}

describe('pipelined publishes', () => {
  it('reads a client’s next publishes while the earlier ones wait to be durable', async () => {
    const b = await brokerWithHeldAcks()
    // Three publishes in one TCP segment (a device catching up after a reconnect), then one
    // more: Aedes alone reads on only once two of the three are acked.
    b.publish([1, 2, 3])
    await expect.poll(() => b.held.length).toBe(3)
    b.publish([4])
    await expect.poll(() => b.held.length).toBe(4)
    expect(b.acks()).toEqual([])
    for (const h of b.held) h.release()
    await expect.poll(() => b.acks()).toEqual([1, 2, 3, 4])
  })

  it('acks in the order the publishes arrived, whatever order they became durable in [MQTT-4.6.0-2]', async () => {
    const b = await brokerWithHeldAcks()
    b.publish([1, 2, 3, 4])
    await expect.poll(() => b.held.length).toBe(4)
    b.held[3]!.release()
    b.held[1]!.release()
    await sleep(100)
    expect(b.acks()).toEqual([])
    b.held[0]!.release()
    await expect.poll(() => b.acks()).toEqual([1, 2])
    b.held[2]!.release()
    await expect.poll(() => b.acks()).toEqual([1, 2, 3, 4])
    // The read loop's count is back where it was: later publishes flow as before.
    b.publish([5])
    await expect.poll(() => b.held.length).toBe(5)
    b.held[4]!.release()
    await expect.poll(() => b.acks()).toEqual([1, 2, 3, 4, 5])
  })

  it('stops reading a client past QINGYUN_MQTT_RECEIVE_WINDOW publishes waiting for their ack', async () => {
    const b = await brokerWithHeldAcks({ QINGYUN_MQTT_RECEIVE_WINDOW: '2' })
    b.publish([1, 2, 3])
    await expect.poll(() => b.held.length).toBe(3)
    // Two read ahead; the third waits for its own ack before anything more is read.
    b.publish([4])
    await sleep(300)
    expect(b.held.length).toBe(3)
    for (const h of b.held) h.release()
    await expect.poll(() => b.held.length).toBe(4)
    b.held[3]!.release()
    await expect.poll(() => b.acks()).toEqual([1, 2, 3, 4])
  })

  it('stops reading a client that publishes one by one without waiting for acks, at its window', async () => {
    // Aedes alone reads each new segment as it arrives: nothing would bound what one client
    // piles up while the spool is full.
    const b = await brokerWithHeldAcks({ QINGYUN_MQTT_RECEIVE_WINDOW: '2' })
    for (let id = 1; id <= 2; id++) {
      b.publish([id])
      await expect.poll(() => b.held.length).toBe(id)
    }
    for (let id = 3; id <= 6; id++) b.publish([id])
    await sleep(300)
    expect(b.held.length).toBe(2)
    // An ack resumes reading: what waited in the socket comes in one read.
    b.held[0]!.release()
    await expect.poll(() => b.held.length).toBe(6)
    for (const h of b.held) h.release()
    await expect.poll(() => b.acks()).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('stops reading ahead over QINGYUN_MQTT_READ_AHEAD_MAX_BYTES across the node', async () => {
    const b = await brokerWithHeldAcks({ QINGYUN_MQTT_READ_AHEAD_MAX_BYTES: '1' })
    b.publish([1, 2])
    await expect.poll(() => b.held.length).toBe(2)
    b.publish([3])
    await sleep(300)
    expect(b.held.length).toBe(2)
    b.held[0]!.release()
    b.held[1]!.release()
    await expect.poll(() => b.held.length).toBe(3)
    b.held[2]!.release()
    await expect.poll(() => b.acks()).toEqual([1, 2, 3])
  })
})
