import net from 'node:net'
import fc from 'fast-check'
import mqttPacket, { type Packet } from 'mqtt-packet'
import { describe, expect, it } from 'vitest'
import { withSystem } from '../harness/system.ts'

// MQTT packet fuzzer against the running node: valid frames built with mqtt-packet, the same
// frames mutated (flipped bytes, truncated, a huge remaining length, junk appended) and plain
// random bytes, from many sockets at once. Whatever arrives, the node stays up and a
// well-behaved device keeps getting PUBACKs. Bounded in count (SESSIONS) and in time (each
// socket lives at most SOCKET_MS). QINGYUN_FUZZ_SEED replays a run; QINGYUN_FUZZ_SESSIONS
// runs a longer one by hand.

const SESSIONS = Number(process.env.QINGYUN_FUZZ_SESSIONS ?? 240)
const PARALLEL = 24
const SOCKET_MS = 150
const CONNACK_WAIT_MS = 2000

/** mqtt-packet refuses some combinations (e.g. no client id before 3.1.1): those become a PINGREQ. */
const gen = (p: Record<string, unknown>): Buffer => {
  try {
    return mqttPacket.generate(p as unknown as Packet)
  } catch {
    return mqttPacket.generate({ cmd: 'pingreq' })
  }
}

function arbitraries(tokens: Record<string, string>) {
  const username = fc.constantFrom('fill-1', 'gps-2', 'svc-dash', 'nobody', '', 'x'.repeat(300))
  const topic = fc.oneof(
    fc.constantFrom(
      'v1/devices/fill-1/fill',
      'v1/devices/fill-1/status',
      'v1/devices/gps-2/position',
      'v1/devices/fill-1/errors',
      '$SYS/x',
      '$qingyun/v1/facts/fill-1',
      'v1/devices/wb-1/weighing',
      'a/b/c/d/e/f/g/h/i/j'
    ),
    fc.string({ minLength: 1, maxLength: 40 })
  )
  const payload = fc.oneof(
    fc.constantFrom('{"ts":1,"fillPct":50}', `{"ts":${Date.now()},"batteryPct":40}`, '[]', 'null', '{'),
    fc.json({ maxDepth: 3 }),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b))
  )
  const connect = fc
    .record({
      protocolVersion: fc.constantFrom(3, 4, 4, 4, 5),
      clean: fc.boolean(),
      clientId: fc.oneof(fc.constant(''), fc.string({ maxLength: 30 })),
      keepalive: fc.integer({ min: 0, max: 65535 }),
      username,
      realToken: fc.constantFrom(true, true, true, false),
      will: fc.option(
        fc.record({
          topic,
          payload: payload.map((p) => Buffer.from(typeof p === 'string' ? p : (JSON.stringify(p) ?? ''))),
          qos: fc.constantFrom(0, 1, 2),
          retain: fc.boolean()
        }),
        { nil: undefined }
      )
    })
    .map(({ realToken, username: u, protocolVersion, ...c }) => {
      const p = {
        cmd: 'connect',
        protocolId: protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
        protocolVersion,
        ...c,
        username: u,
        password: Buffer.from(realToken ? (tokens[u] ?? 'qyd_x') : 'qyd_wrong')
      }
      if (!p.clean && !p.clientId) p.clientId = 'c'
      if (p.will === undefined) delete (p as { will?: unknown }).will
      return p
    })
  const publish = fc
    .record({
      topic,
      payload,
      qos: fc.constantFrom(0, 1, 2),
      retain: fc.boolean(),
      dup: fc.boolean(),
      messageId: fc.integer({ min: 1, max: 65535 })
    })
    .map((p) => ({
      cmd: 'publish',
      ...p,
      payload:
        typeof p.payload === 'string' || Buffer.isBuffer(p.payload) ? p.payload : (JSON.stringify(p.payload) ?? '')
    }))
  const subscribe = fc
    .record({
      messageId: fc.integer({ min: 1, max: 65535 }),
      subscriptions: fc.array(
        fc.record({
          topic: fc.oneof(topic, fc.constantFrom('#', '+/#', 'v1/devices/+/errors', '$qingyun/#')),
          qos: fc.constantFrom(0, 1, 2)
        }),
        { minLength: 1, maxLength: 4 }
      )
    })
    .map((p) => ({ cmd: 'subscribe', ...p }))
  const other = fc.constantFrom<Record<string, unknown>>(
    { cmd: 'pingreq' },
    { cmd: 'disconnect' },
    { cmd: 'puback', messageId: 1 },
    { cmd: 'pubrel', messageId: 2 },
    { cmd: 'unsubscribe', messageId: 3, unsubscriptions: ['#'] }
  )
  const valid = fc.oneof(connect, publish, publish, subscribe, other).map(gen)
  const mutated = fc
    .tuple(
      valid,
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom('flip', 'truncate', 'huge', 'append', 'twice')
    )
    .map(([b, at, byte, how]) => {
      const i = at % Math.max(1, b.length)
      switch (how) {
        case 'flip':
          return Buffer.concat([b.subarray(0, i), Buffer.of(byte), b.subarray(i + 1)])
        case 'truncate':
          return b.subarray(0, i)
        case 'huge':
          return Buffer.concat([b.subarray(0, 1), Buffer.from([0xff, 0xff, 0xff, 0x7f]), b.subarray(2)])
        case 'append':
          return Buffer.concat([b, Buffer.alloc(i % 64, byte)])
        default:
          return Buffer.concat([b, b])
      }
    })
  const random = fc.uint8Array({ minLength: 1, maxLength: 128 }).map((b) => Buffer.from(b))
  const frames = fc.array(fc.oneof(valid, mutated, random), { minLength: 1, maxLength: 8 })
  // Most sessions start with a well-formed CONNECT, so the handlers behind it are reached.
  return fc.record({ connect: fc.option(connect.map(gen), { freq: 5, nil: undefined }), frames })
}

type Session = { connect: Buffer | undefined; frames: Buffer[] }

/** CONNECT first and its answer awaited (so the handlers behind authentication are reached), then the rest. */
function play(port: number, session: Session, connacks: Map<number, number>): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' })
    let bytes = 0
    const rest = (): void => {
      clearTimeout(timer)
      timer = setTimeout(() => s.destroy(), SOCKET_MS)
      for (const f of session.frames) {
        bytes += f.length
        s.write(f)
      }
    }
    s.on('error', () => undefined)
    s.on('connect', () => {
      if (!session.connect) return rest()
      bytes += session.connect.length
      s.write(session.connect)
      s.once('data', (d: Buffer) => {
        // CONNACK: 0x20, length 2, flags, return code; anything else counts as -1.
        const code = d[0] === 0x20 ? (d[3] ?? -1) : -1
        connacks.set(code, (connacks.get(code) ?? 0) + 1)
        rest()
      })
    })
    // A CONNACK can take a while on a loaded machine; after it (or without CONNECT), SOCKET_MS.
    let timer = setTimeout(() => s.destroy(), CONNACK_WAIT_MS)
    s.on('close', () => {
      clearTimeout(timer)
      resolve(bytes)
    })
  })
}

describe('MQTT packet fuzzer', () => {
  it('keeps the node up and a well-behaved device acknowledged, whatever other sockets send', async () => {
    const t = await withSystem({
      env: { QINGYUN_MQTT_MAX_CONNECTIONS_PER_USERNAME: '1000', QINGYUN_MQTT_AUTH_FAIL_LIMIT: '100000' }
    })
    const port = t.system.broker.mqttPort
    const good = await t.device('wb-1')
    const seed = Number(process.env.QINGYUN_FUZZ_SEED ?? Date.now() % 2 ** 31)
    const sessions = fc.sample(arbitraries(t.tokens), { numRuns: SESSIONS, seed })
    const connacks = new Map<number, number>()
    let frames = 0
    let bytes = 0
    let acked = 0
    for (let i = 0; i < sessions.length; i += PARALLEL) {
      const wave = sessions.slice(i, i + PARALLEL)
      frames += wave.reduce((n, s) => n + s.frames.length + (s.connect ? 1 : 0), 0)
      // The device publishes while the wave is in flight, and waits for its PUBACK.
      const [sent] = await Promise.all([
        Promise.all(wave.map((s) => play(port, s, connacks))),
        good
          .publishAsync('v1/devices/wb-1/status', JSON.stringify({ ts: Date.now() - 1000, batteryPct: 50, seq: i }), {
            qos: 1
          })
          .then(() => acked++)
      ])
      bytes += sent.reduce((a, b) => a + b, 0)
    }
    await good.publishAsync('v1/devices/wb-1/status', JSON.stringify({ ts: Date.now() - 1000, batteryPct: 51 }), {
      qos: 1
    })
    acked++
    const st = t.system.broker.stats()
    const ingested = t.system.ingest.stats().messages
    console.info(
      `fuzz: seed ${seed}, ${sessions.length} sockets, ${frames} frames, ${bytes} bytes; ${acked} PUBACKs to the well-behaved device; ` +
        `CONNACK codes ${JSON.stringify(Object.fromEntries(connacks))}; broker: ${st.authFailures} auth failures, ${st.deniedPublishes} denied publishes, ${st.oversizeDisconnects} oversize cuts; ingest: ${ingested} messages`
    )
    expect(good.connected).toBe(true)
    // The fuzzer got past authentication into the publish path, not only the parser.
    expect(connacks.get(0) ?? 0).toBeGreaterThan(0)
    expect(st.deniedPublishes).toBeGreaterThan(0)
    expect(acked).toBe(Math.ceil(SESSIONS / PARALLEL) + 1)
  })
})
