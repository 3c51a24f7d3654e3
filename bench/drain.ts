// Drain benchmark: how fast does the node work off a backlog once InfluxDB comes back, and how fast
// does one device's buffered backlog get acked? One command, a printed table, JSON in bench-output/
// (conventions: benchmarks are first-class, never timed assertions in tests).
//
//   node --import tsx bench/drain.ts                         # both parts, ~2–3 minutes
//   node --import tsx bench/drain.ts --only drain --freeze 10 --max-drain 60
//   node --import tsx bench/drain.ts --only single --single 2000
//
// Part "drain": the whole node (node/system.ts) on loopback with a private influxd behind a
// recording pass-through proxy; `--devices` mqtt.js devices publish `--rate` msg/s in total (QoS 1);
// after `--warmup` s InfluxDB freezes for `--freeze` s (SIGSTOP of influxd; `--mode proxy`: the
// proxy holds every request; `--mode down`: the proxy drops every connection), then is released;
// the load goes on and the table shows acks/s until every message sent before the release is acked
// (or `--max-drain` s pass). `--drop-at S` cuts every device's connection S s into the freeze.
// Part "single": one device with `--single` messages queued: (a) a raw socket writing every PUBLISH
// in one go, (b) mqtt.js publishing them while offline (its outgoing store), then connecting.
// Part "tcp" (bench/pubackSplit.ts): mqtt.js store replay against a minimal acker, PUBACK written
// in one or two writes, with and without TCP_NODELAY — no broker, no InfluxDB.
//
// What it records besides acks: each InfluxDB write (lines, latency, status) at the proxy, the
// writer's retry log lines (delayMs), aedes' packets per parsed chunk and the authorizePublish
// latency L (the ack latency), and mqtt.js reconnects.
import { once } from 'node:events'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { parseArgs } from 'node:util'
import mqtt from 'mqtt'
import mqttPacket from 'mqtt-packet'
import { pino } from 'pino'
import { startSystem, type System } from '../node/system.ts'
import type { Registry } from '../contracts/registry.ts'
import { startLocalInfluxd } from '../influx/local.ts'
import { parseConfig } from '../lib/config.ts'
import { saveRegistry } from '../registry/load.ts'
import { generateToken, hashToken } from '../registry/tokens.ts'
import { testRegistry } from '../test/fixtures/registry.ts'
import { pubackSplit } from './drain/pubackSplit.ts'
import { instrumentBroker, startRecordingProxy, summarise, type Probe } from './drain/probe.ts'

const { values: a } = parseArgs({
  options: {
    only: { type: 'string' },
    devices: { type: 'string', default: '20' },
    rate: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '5' },
    freeze: { type: 'string', default: '20' },
    'max-drain': { type: 'string', default: '90' },
    mode: { type: 'string', default: 'sigstop' },
    keepalive: { type: 'string', default: '60' },
    // Seconds into the freeze at which every device's TCP connection is cut (a cellular flap);
    // mqtt.js reconnects and sends its unacknowledged messages again. Off by default.
    'drop-at': { type: 'string' },
    single: { type: 'string', default: '10000' },
    'single-timeout': { type: 'string', default: '40' },
    bucket: { type: 'string', default: '5' },
    out: { type: 'string', default: 'bench-output' }
  }
})
const num = (k: keyof typeof a): number => Number(a[k])
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

interface Node {
  system: System
  probe: Probe
  influxPid: number
  proxy: Awaited<ReturnType<typeof startRecordingProxy>>
  tokens: Map<string, string>
  stop(): Promise<void>
}

async function startNode(devices: number): Promise<Node> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-drain-'))
  const influxd = await startLocalInfluxd({ dataDir: path.join(dir, 'influxdb'), log: pino({ level: 'warn' }) })
  const proxy = await startRecordingProxy(influxd.url)
  const { registry: base } = testRegistry()
  const tokens = new Map<string, string>()
  const ids = [...Array.from({ length: devices }, (_, i) => `fill-${i}`), 'fill-single-raw', 'fill-single-mqttjs']
  const registry: Registry = {
    ...base,
    bins: ids.map((id) => ({
      id: `bin-${id}`,
      stream: 'residual' as const,
      district: '梁溪' as const,
      location: { lat: 31.5, lon: 120.3 },
      capacityL: 240
    })),
    devices: ids.map((id) => {
      const token = generateToken('qyd_')
      tokens.set(id, token)
      return { id, type: 'fill-sensor' as const, binId: `bin-${id}`, tokenHash: hashToken(token), enabled: true }
    }),
    services: []
  }
  await saveRegistry(path.join(dir, 'registry.json'), registry)
  const config = parseConfig({
    QINGYUN_BIND_HOST: '127.0.0.1',
    QINGYUN_MQTT_PORT: '0',
    QINGYUN_MQTT_WS_PORT: '0',
    QINGYUN_HTTP_PORT: '0',
    QINGYUN_DATA_DIR: dir,
    QINGYUN_REGISTRY: path.join(dir, 'registry.json'),
    QINGYUN_INFLUX_URL: proxy.url,
    QINGYUN_INFLUX_DB: 'drain'
  })
  const probe: Probe = { retries: [], chunks: [], acks: [], keepaliveTimeouts: 0, clientDisconnects: 0 }
  // The writer's retry lines (warn) tell the backoff it chose; everything else goes nowhere.
  const logSink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) {
        if (!line.includes('retrying')) continue
        const j = JSON.parse(line) as { delayMs?: number; attempt?: number; reason?: string; component?: string }
        if (j.component === 'writer' && typeof j.delayMs === 'number')
          probe.retries.push({ at: Date.now(), delayMs: j.delayMs, attempt: j.attempt ?? 0, reason: j.reason ?? '' })
      }
      cb()
    }
  })
  const system = await startSystem(config, pino({ level: 'warn' }, logSink))
  instrumentBroker(system.broker.aedes, probe)
  return {
    system,
    probe,
    influxPid: influxd.pid,
    proxy,
    tokens,
    async stop() {
      process.kill(influxd.pid, 'SIGCONT')
      proxy.release()
      await system.stop()
      await proxy.close()
      await influxd.stop()
      await rm(dir, { recursive: true, force: true })
    }
  }
}

const fillBody = (seq: number): string => JSON.stringify({ ts: Date.now() - 1000, seq, fillPct: seq % 100 })

async function drain(node: Node): Promise<Record<string, unknown>> {
  const devices = num('devices')
  const rate = num('rate')
  const url = `mqtt://127.0.0.1:${node.system.broker.mqttPort}`
  const events = { reconnects: 0, offline: 0, errors: 0 }
  const clients = await Promise.all(
    Array.from({ length: devices }, async (_, i) => {
      const c = await mqtt.connectAsync(url, {
        username: `fill-${i}`,
        password: node.tokens.get(`fill-${i}`)!,
        clientId: `d${i}`,
        keepalive: num('keepalive'),
        reconnectPeriod: 1000
      })
      c.on('reconnect', () => events.reconnects++)
      c.on('offline', () => events.offline++)
      c.on('error', () => events.errors++)
      return c
    })
  )
  const t0 = Date.now()
  const freezeAt = t0 + num('warmup') * 1000
  const releaseAt = freezeAt + num('freeze') * 1000
  const deadline = releaseAt + num('max-drain') * 1000
  const sec = (t: number): number => Math.floor((t - t0) / 1000)
  const perSec: { sent: number; acked: number }[] = []
  const bump = (t: number, k: 'sent' | 'acked'): void => {
    ;(perSec[sec(t)] ??= { sent: 0, acked: 0 })[k]++
  }
  let sent = 0
  let acked = 0
  let preRelease = 0
  let preReleaseAcked = 0
  let drainedAt: number | undefined
  const seqs = new Array<number>(devices).fill(0)
  let next = 0
  let frozen = false
  let released = false
  const dropAt = a['drop-at'] === undefined ? undefined : freezeAt + Number(a['drop-at']) * 1000
  let dropped = false
  let releaseAckedBase = 0
  const tick = setInterval(() => {
    const now = Date.now()
    if (!frozen && now >= freezeAt) {
      frozen = true
      if (a.mode === 'proxy') node.proxy.hold()
      else if (a.mode === 'down') node.proxy.down()
      else process.kill(node.influxPid, 'SIGSTOP')
    }
    if (dropAt !== undefined && !dropped && now >= dropAt) {
      dropped = true
      for (const c of clients) c.stream.destroy()
    }
    if (frozen && !released && now >= releaseAt) {
      released = true
      releaseAckedBase = preReleaseAcked
      if (a.mode === 'proxy' || a.mode === 'down') node.proxy.release()
      else process.kill(node.influxPid, 'SIGCONT')
    }
    // Paced on elapsed time, so timer drift under load does not lower the offered rate.
    for (let k = Math.floor(((now - t0) * rate) / 1000) - sent; k > 0; k--) {
      const i = next++ % devices
      const before = !released
      sent++
      if (before) preRelease++
      bump(now, 'sent')
      clients[i]!.publish(`v1/devices/fill-${i}/fill`, fillBody(seqs[i]!++), { qos: 1 }, (err) => {
        if (err) {
          events.errors++
          return
        }
        const t = Date.now()
        acked++
        bump(t, 'acked')
        if (before && ++preReleaseAcked === preRelease && released) drainedAt ??= t
      })
    }
  }, 20)
  while (Date.now() < deadline && !(released && preReleaseAcked === preRelease)) await sleep(200)
  if (released && preReleaseAcked === preRelease) drainedAt ??= Date.now()
  const drainedInS = ((drainedAt ?? Date.now()) - releaseAt) / 1000
  const drainRate = Math.round((preReleaseAcked - releaseAckedBase) / drainedInS)
  clearInterval(tick)
  // Let the post-release tail settle briefly, then cut the clients.
  const tailDeadline = Date.now() + 5000
  while (acked < sent && Date.now() < tailDeadline) await sleep(100)
  await Promise.all(clients.map((c) => c.endAsync(true)))

  const backlogAtRelease = preRelease - perSec.slice(0, sec(releaseAt)).reduce((s, b) => s + (b?.acked ?? 0), 0)
  const drainS = drainedAt === undefined ? undefined : (drainedAt - releaseAt) / 1000
  const bucket = num('bucket')
  const rows: Record<string, unknown>[] = []
  let backlog = 0
  for (let s = 0; s < perSec.length; s += bucket) {
    let sentB = 0
    let ackB = 0
    for (let k = s; k < s + bucket && k < perSec.length; k++) {
      sentB += perSec[k]?.sent ?? 0
      ackB += perSec[k]?.acked ?? 0
    }
    backlog += sentB - ackB
    const from = t0 + s * 1000
    const to = from + bucket * 1000
    const phase =
      to <= freezeAt
        ? 'warmup'
        : from >= releaseAt
          ? drainedAt !== undefined && from >= drainedAt
            ? 'after'
            : 'drain'
          : from >= freezeAt && to <= releaseAt
            ? 'frozen'
            : 'mixed'
    const w = summarise(node.probe, node.proxy.log, from, to)
    rows.push({
      t: `${s}-${s + bucket}s`,
      phase,
      sentPerS: +(sentB / bucket).toFixed(0),
      ackPerS: +(ackB / bucket).toFixed(0),
      backlog,
      ...w
    })
  }
  // How long after the release InfluxDB first stored something, and what the outage cost it.
  const writes = node.proxy.log.filter((e) => e.path.startsWith('/write'))
  const firstStored = writes.find(
    (e) => e.end !== undefined && e.end >= releaseAt && e.status !== undefined && e.status >= 200 && e.status < 300
  )
  const outage = writes.filter((e) => e.start >= freezeAt && e.start < releaseAt)
  return {
    devices,
    rate,
    freezeS: num('freeze'),
    mode: a.mode,
    keepaliveS: num('keepalive'),
    firstStoredAfterReleaseMs: firstStored === undefined ? undefined : firstStored.end! - releaseAt,
    outageWrites: outage.length,
    outageLinesSent: outage.reduce((t, e) => t + e.lines, 0),
    backlogAtRelease,
    drainS,
    drainRate,
    undrained: preRelease - preReleaseAcked,
    sent,
    acked,
    ...events,
    keepaliveTimeouts: node.probe.keepaliveTimeouts,
    clientDisconnects: node.probe.clientDisconnects,
    rows
  }
}

async function singleRaw(node: Node, n: number): Promise<Record<string, unknown>> {
  const sock = net.connect(node.system.broker.mqttPort, '127.0.0.1')
  await once(sock, 'connect')
  const parser = mqttPacket.parser()
  let acks = 0
  let connack = false
  let lastAckAt = 0
  parser.on('packet', (p) => {
    if (p.cmd === 'connack') connack = true
    if (p.cmd === 'puback') {
      acks++
      lastAckAt = Date.now()
    }
  })
  sock.on('data', (d) => parser.parse(d))
  sock.write(
    mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: 'raw',
      keepalive: 60,
      username: 'fill-single-raw',
      password: Buffer.from(node.tokens.get('fill-single-raw')!)
    })
  )
  while (!connack) await sleep(10)
  const chunksBefore = node.probe.chunks.length
  const ackBefore = node.probe.acks.length
  const bufs = Array.from({ length: n }, (_, i) =>
    mqttPacket.generate({
      cmd: 'publish',
      topic: 'v1/devices/fill-single-raw/fill',
      payload: Buffer.from(fillBody(i)),
      qos: 1,
      messageId: (i % 65535) + 1,
      dup: false,
      retain: false
    })
  )
  const t0 = Date.now()
  sock.write(Buffer.concat(bufs))
  const deadline = t0 + num('single-timeout') * 1000
  while (acks < n && Date.now() < deadline) await sleep(20)
  sock.destroy()
  const chunks = node.probe.chunks.slice(chunksBefore).filter((c) => c.client === 'fill-single-raw/raw')
  const ackMs = node.probe.acks
    .slice(ackBefore)
    .map((x) => x.ms)
    .sort((x, y) => x - y)
  const s = ((acks === n ? lastAckAt : Date.now()) - t0) / 1000
  const packets = chunks.reduce((t, c) => t + c.packets, 0)
  return {
    messages: n,
    acked: acks,
    seconds: +s.toFixed(2),
    ackPerS: Math.round(acks / s),
    chunks: chunks.length,
    packetsPerChunk: chunks.length === 0 ? 0 : Math.round(packets / chunks.length),
    maxPacketsPerChunk: Math.max(0, ...chunks.map((c) => c.packets)),
    ackLatencyP50Ms: Math.round(ackMs[Math.floor(ackMs.length / 2)] ?? NaN),
    ackLatencyP99Ms: Math.round(ackMs[Math.floor(ackMs.length * 0.99)] ?? NaN)
  }
}

async function singleMqttjs(node: Node, n: number): Promise<Record<string, unknown>> {
  const ackBefore = node.probe.acks.length
  const c = mqtt.connect(`mqtt://127.0.0.1:${node.system.broker.mqttPort}`, {
    username: 'fill-single-mqttjs',
    password: node.tokens.get('fill-single-mqttjs')!,
    clientId: 'offline',
    manualConnect: true,
    reconnectPeriod: 0
  })
  let acks = 0
  let lastAckAt = 0
  for (let i = 0; i < n; i++)
    c.publish('v1/devices/fill-single-mqttjs/fill', fillBody(i), { qos: 1 }, (err) => {
      if (!err) {
        acks++
        lastAckAt = Date.now()
      }
    })
  const t0 = Date.now()
  c.connect()
  const deadline = t0 + num('single-timeout') * 1000
  while (acks < n && Date.now() < deadline) await sleep(20)
  await c.endAsync(true)
  const ackMs = node.probe.acks
    .slice(ackBefore)
    .map((x) => x.ms)
    .sort((x, y) => x - y)
  const s = ((acks === n ? lastAckAt : Date.now()) - t0) / 1000
  return {
    messages: n,
    acked: acks,
    seconds: +s.toFixed(2),
    ackPerS: Math.round(acks / s),
    ackLatencyP50Ms: Math.round(ackMs[Math.floor(ackMs.length / 2)] ?? NaN),
    ackLatencyP99Ms: Math.round(ackMs[Math.floor(ackMs.length * 0.99)] ?? NaN)
  }
}

const out: Record<string, unknown> = {
  at: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  args: a
}
if (!a.only || a.only === 'tcp') {
  const rows = []
  for (const split of [false, true]) {
    for (const noDelay of [false, true])
      rows.push(await pubackSplit({ messages: 300, delayMs: 5, split, noDelay, timeoutMs: 20_000 }))
  }
  out.tcp = rows
  console.log('\nmqtt.js store replay (one message per PUBACK) against a minimal acker answering after 5 ms')
  console.table(rows)
}
const node = a.only === 'tcp' ? undefined : await startNode(num('devices'))
try {
  if (node !== undefined && (!a.only || a.only === 'single')) {
    out.singleRaw = await singleRaw(node, num('single'))
    out.singleMqttjs = await singleMqttjs(node, num('single'))
    console.log('\none device, queued messages')
    console.table({
      'raw socket, all PUBLISH in one write': out.singleRaw,
      'mqtt.js offline store, then connect': out.singleMqttjs
    })
  }
  if (node !== undefined && (!a.only || a.only === 'drain')) {
    node.proxy.log.length = 0
    const d = await drain(node)
    out.drain = d
    const { rows, ...head } = d
    console.log(`\nInfluxDB freeze (${String(a.mode)}) under load`)
    console.table(rows as Record<string, unknown>[])
    console.table(head)
  }
} finally {
  await node?.stop()
}
await mkdir(a.out!, { recursive: true })
const file = path.join(a.out!, 'drain.json')
await writeFile(file, JSON.stringify(out, null, 2) + '\n')
console.log(`\nwrote ${file}`)
