// The long fault runs (`npm run soak`): a printed report and JSON in bench-output/soak.json.
// The suite runs short versions of each (test/e2e/crash.test.ts, outage.test.ts, the spool's
// own tests); these take minutes.
//
//   npm run soak                                  # all, defaults below
//   npm run soak -- --only crash --kills 10
//   npm run soak -- --only outage --outage-s 600 --rate 2000
//   npm run soak -- --only flush --messages 10000
//   npm run soak -- --only diskfull --disk-mb 16 --rate 500   # root: the spool on a full tmpfs
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { createInfluxClient, rows } from '../../influx/client.ts'
import { startLocalInfluxd, type LocalInfluxd } from '../../influx/local.ts'
import { crashRun, prepareNode, type NodeProcess } from '../harness/crash.ts'

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    kills: { type: 'string', default: '10' },
    'outage-s': { type: 'string', default: '600' },
    rate: { type: 'string', default: '2000' },
    devices: { type: 'string', default: '200' },
    messages: { type: 'string', default: '10000' },
    'disk-mb': { type: 'string', default: '16' },
    out: { type: 'string', default: 'bench-output' }
  }
})
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const log = pino({ level: 'warn' })
const report: Record<string, unknown> = {}
const lines: string[] = []
const say = (s: string): void => {
  lines.push(s)
  console.log(s)
}
const q = (sorted: number[], p: number): number =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : NaN

async function withInflux<T>(
  fn: (influxd: { url: string; restart(): Promise<void>; stop(): Promise<void> }) => Promise<T>
): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-soak-influx-'))
  let server: LocalInfluxd = await startLocalInfluxd({ dataDir: dir, log })
  const port = Number(new URL(server.url).port)
  try {
    return await fn({
      url: server.url,
      stop: () => server.stop(),
      restart: async () => {
        server = await startLocalInfluxd({ dataDir: dir, log, port })
      }
    })
  } finally {
    await server.stop().catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  }
}

async function storedTickets(url: string, db: string, prefix: string): Promise<Map<string, number>> {
  const influx = createInfluxClient({ url, db, timeoutMs: 120_000 })
  const [r] = await influx.query(`SELECT ticket_id, net_kg FROM weighing WHERE ticket_id =~ /^${prefix}/`, {
    epoch: 'ms'
  })
  const m = new Map<string, number>()
  for (const row of rows(r)) m.set(String(row.ticket_id), (m.get(String(row.ticket_id)) ?? 0) + 1)
  return m
}

async function waitForwarded(node: NodeProcess, timeoutMs: number): Promise<number> {
  const t0 = Date.now()
  while (Date.now() - t0 < timeoutMs) {
    const d = (await node.details().catch(() => ({}))) as { forwarder?: { lagRecords?: number } }
    if (d.forwarder?.lagRecords === 0) return Date.now() - t0
    await sleep(200)
  }
  throw new Error(`the spool was not forwarded within ${timeoutMs} ms`)
}

async function crash(): Promise<void> {
  await withInflux(async (influxd) => {
    const db = 'soak_crash'
    await createInfluxClient({ url: influxd.url, db }).ensureDatabase()
    const r = await crashRun({
      influxUrl: influxd.url,
      influxAuth: null,
      db,
      devices: 20,
      window: 4,
      kills: Number(values.kills),
      upMs: [3000, 15_000],
      rate: Number(values.rate),
      log: say
    })
    report.crash = r
    say(
      `crash: ${r.kills} × kill -9 under load: ${r.sent} sent, ${r.acked} acked, ${r.stored} stored; acked but lost ${r.lostAcked}, stored twice ${r.duplicated}, never sent ${r.unknown} (${r.seconds.toFixed(0)} s)`
    )
  })
}

/** `devices` clients publish `rate` msg/s in total; returns what was acked and the latencies. */
function generator(node: NodeProcess, devices: number, rate: number, prefix: string) {
  const acked = new Set<string>()
  const sent = new Set<string>()
  const latencies: number[] = []
  /** When each latency was recorded (ms since the generator started), to see them over time. */
  const ackedAt: number[] = []
  let errors = 0
  let stopping = false
  let n = 0
  const clients = Array.from({ length: devices }, (_, d) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${node.mqttPort}`, {
      username: `wb-c${d}`,
      password: node.tokens[d]!,
      clientId: `soak-${d}`,
      reconnectPeriod: 500,
      keepalive: 30
    })
    c.on('error', () => undefined)
    return c
  })
  const t0 = Date.now()
  const base = Date.now() - 120_000
  const loop = (async () => {
    const tickMs = 50
    for (let tick = 0; !stopping; tick++) {
      const due = Math.floor(((Date.now() - t0) / 1000) * rate) - n
      for (let i = 0; i < due; i++) {
        const d = n % devices
        const id = `${prefix}${n++}`
        sent.add(id)
        const body = JSON.stringify({
          ts: base + (n % 100_000),
          ticketId: id,
          direction: 'in',
          stream: 'residual',
          grossKg: 12000,
          tareKg: 8000,
          netKg: 4000,
          plate: '苏B12345'
        })
        const s = performance.now()
        clients[d]!.publishAsync(`v1/devices/wb-c${d}/weighing`, body, { qos: 1 }).then(
          () => {
            acked.add(id)
            latencies.push(performance.now() - s)
            ackedAt.push(Date.now() - t0)
          },
          () => void errors++
        )
      }
      await sleep(tickMs)
    }
  })()
  return {
    acked,
    sent,
    latencies,
    ackedAt,
    t0,
    errors: () => errors,
    async stop() {
      stopping = true
      await loop
      const until = Date.now() + 30_000
      while (acked.size + errors < sent.size && Date.now() < until) await sleep(100)
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)))
    }
  }
}

async function outage(): Promise<void> {
  const seconds = Number(values['outage-s'])
  const rate = Number(values.rate)
  const devices = Number(values.devices)
  await withInflux(async (influxd) => {
    const db = 'soak_outage'
    await createInfluxClient({ url: influxd.url, db }).ensureDatabase()
    const node = await prepareNode({ influxUrl: influxd.url, influxAuth: null, db, devices })
    try {
      await node.start()
      process.on('exit', () => console.error(`node: ${node.lastWords().slice(-1500)}`))
      const gen = generator(node, devices, rate, 'O-')
      await sleep(5000)
      const before = gen.acked.size
      await influxd.stop()
      const tDown = Date.now()
      say(`outage: InfluxDB stopped for ${seconds} s under ${rate} msg/s from ${devices} devices`)
      const ackedAtDown = gen.latencies.length
      // The node's heap minute by minute beside the PUBACK tail: what the node holds grows
      // with what it was sent (the live day), not with the backlog, which is on disk.
      const heapMiB: number[] = []
      for (let left = seconds * 1000; left > 0; left -= 60_000) {
        await sleep(Math.min(60_000, left))
        const d = (await node.details().catch(() => ({}))) as { process?: { heapUsedBytes?: number } }
        heapMiB.push(Math.round((d.process?.heapUsedBytes ?? NaN) / 2 ** 20))
      }
      const duringLat = gen.latencies.slice(ackedAtDown).sort((a, b) => a - b)
      // PUBACK p99 minute by minute of the outage: a tail that grows with the backlog shows here.
      const byMinute: number[][] = []
      for (let i = ackedAtDown; i < gen.latencies.length; i++) {
        const m = Math.floor((gen.ackedAt[i]! - (tDown - gen.t0)) / 60_000)
        if (m >= 0) (byMinute[m] ??= []).push(gen.latencies[i]!)
      }
      const p99ByMinute = byMinute.map(
        (l) =>
          +q(
            l.sort((a, b) => a - b),
            0.99
          ).toFixed(1)
      )
      const ackedDuring = gen.acked.size - before
      await gen.stop()
      const backlog = ((await node.details()) as { forwarder?: { lagRecords?: number } }).forwarder?.lagRecords ?? NaN
      await influxd.restart()
      const drainMs = await waitForwarded(node, 30 * 60_000)
      const stored = await storedTickets(influxd.url, db, 'O-')
      const lost = [...gen.acked].filter((id) => !stored.has(id)).length
      const twice = [...stored.values()].filter((v) => v > 1).length
      const r = {
        outageS: (Date.now() - tDown - drainMs) / 1000,
        rate,
        ackedDuringOutage: ackedDuring,
        ackRateDuringOutage: Math.round(ackedDuring / seconds),
        pubackP50Ms: +q(duringLat, 0.5).toFixed(1),
        pubackP99Ms: +q(duringLat, 0.99).toFixed(1),
        pubackP99MsByMinute: p99ByMinute,
        heapUsedMiBByMinute: heapMiB,
        backlogRecords: backlog,
        drainS: drainMs / 1000,
        drainRecordsPerS: Math.round(backlog / (drainMs / 1000)),
        sent: gen.sent.size,
        acked: gen.acked.size,
        errors: gen.errors(),
        lostAcked: lost,
        storedTwice: twice
      }
      report.outage = r
      say(
        `outage: ${r.ackedDuringOutage} acked while InfluxDB was down (${r.ackRateDuringOutage} msg/s, PUBACK p50 ${r.pubackP50Ms} ms, p99 ${r.pubackP99Ms} ms; p99 by minute ${r.pubackP99MsByMinute.join(' ')} ms; node heap by minute ${r.heapUsedMiBByMinute.join(' ')} MiB); backlog ${r.backlogRecords} records drained in ${r.drainS} s (${r.drainRecordsPerS} records/s); acked but lost ${lost}, stored twice ${twice}`
      )
    } finally {
      await node.dispose()
    }
  })
}

async function flush(): Promise<void> {
  const messages = Number(values.messages)
  await withInflux(async (influxd) => {
    const db = 'soak_flush'
    await createInfluxClient({ url: influxd.url, db }).ensureDatabase()
    const node = await prepareNode({ influxUrl: influxd.url, influxAuth: null, db, devices: 1 })
    try {
      await node.start()
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${node.mqttPort}`, {
        username: 'wb-c0',
        password: node.tokens[0]!,
        clientId: 'flush',
        reconnectPeriod: 0
      })
      const base = Date.now() - 600_000
      // A device that buffered `messages` readings while offline sends them all, one per PUBLISH.
      const t0 = performance.now()
      await Promise.all(
        Array.from({ length: messages }, (_, i) =>
          c.publishAsync(
            'v1/devices/wb-c0/weighing',
            JSON.stringify({
              ts: base + i,
              ticketId: `F-${i}`,
              direction: 'in',
              stream: 'residual',
              grossKg: 12000,
              tareKg: 8000,
              netKg: 4000,
              plate: '苏B12345'
            }),
            { qos: 1 }
          )
        )
      )
      const s = (performance.now() - t0) / 1000
      await c.endAsync()
      await waitForwarded(node, 120_000)
      const stored = await storedTickets(influxd.url, db, 'F-')
      report.flush = { messages, seconds: +s.toFixed(2), ackedPerS: Math.round(messages / s), stored: stored.size }
      say(
        `flush: one device, ${messages} buffered messages one per PUBLISH: all acked in ${s.toFixed(2)} s (${Math.round(messages / s)} msg/s); ${stored.size} in InfluxDB`
      )
    } finally {
      await node.dispose()
    }
  })
}

/**
 * The spool's disk really full: a small tmpfs (mounting needs root) holds the spool while
 * InfluxDB is down, devices keep publishing until the disk refuses writes (ENOSPC). Then acks
 * must stop (backpressure), nothing acked may be lost, and once InfluxDB is back the forwarded
 * segments free the space and the waiting messages are acked.
 */
async function diskfull(): Promise<void> {
  if (process.getuid?.() !== 0) {
    say('diskfull: not run — mounting a small tmpfs for the spool needs root')
    report.diskfull = { run: false, why: 'needs root to mount a tmpfs' }
    return
  }
  const mb = Number(values['disk-mb'])
  const mnt = await mkdtemp(path.join(os.tmpdir(), 'qingyun-soak-disk-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m`, 'tmpfs', mnt])
  try {
    await withInflux(async (influxd) => {
      const db = 'soak_diskfull'
      await createInfluxClient({ url: influxd.url, db }).ensureDatabase()
      const devices = 20
      const node = await prepareNode({
        influxUrl: influxd.url,
        influxAuth: null,
        db,
        devices,
        // The byte bound far above the disk: the disk is what runs out.
        env: { QINGYUN_SPOOL_DIR: path.join(mnt, 'spool'), QINGYUN_SPOOL_MAX_BYTES: String(1024 ** 3) }
      })
      try {
        await node.start()
        await influxd.stop()
        const gen = generator(node, devices, Number(values.rate), 'D-')
        type SpoolDetails = { spool?: { writeErrors?: number; lastWriteError?: string } }
        const t0 = Date.now()
        let errors = 0
        while (Date.now() - t0 < 300_000) {
          const d = (await node.details()) as SpoolDetails
          errors = d.spool?.writeErrors ?? 0
          if (errors > 0) break
          await sleep(500)
        }
        const full = ((await node.details()) as SpoolDetails).spool
        const ackedAtFull = gen.acked.size
        await sleep(10_000)
        const ackedWhileFull = gen.acked.size - ackedAtFull
        say(
          `diskfull: ${mb} MiB tmpfs full after ${((Date.now() - t0) / 1000 - 10).toFixed(0)} s ` +
            `(spool: ${full?.writeErrors} write errors, last ${full?.lastWriteError}); ` +
            `${ackedWhileFull} acked in the 10 s after (backpressure: expect ~0)`
        )
        await influxd.restart()
        const tBack = Date.now()
        // The waiting messages get their acks once forwarded segments free the space.
        const sentAtRestart = gen.sent.size
        while (Date.now() - tBack < 300_000 && gen.acked.size < sentAtRestart) await sleep(500)
        const recoverS = (Date.now() - tBack) / 1000
        await gen.stop()
        await waitForwarded(node, 10 * 60_000)
        const stored = await storedTickets(influxd.url, db, 'D-')
        const lost = [...gen.acked].filter((id) => !stored.has(id)).length
        const twice = [...stored.values()].filter((v) => v > 1).length
        const r = {
          run: true,
          tmpfsMiB: mb,
          writeErrors: full?.writeErrors ?? 0,
          lastWriteError: full?.lastWriteError ?? null,
          ackedWhileFull,
          recoverS,
          sent: gen.sent.size,
          acked: gen.acked.size,
          lostAcked: lost,
          storedTwice: twice,
          nodeAlive: (await node
            .details()
            .then(() => true)
            .catch(() => false)) as boolean
        }
        report.diskfull = r
        say(
          `diskfull: after InfluxDB came back every message sent before was acked within ${recoverS.toFixed(1)} s; ` +
            `${r.sent} sent, ${r.acked} acked; acked but lost ${lost}, stored twice ${twice}; node alive ${r.nodeAlive}`
        )
      } finally {
        await node.dispose()
      }
    })
  } finally {
    execFileSync('umount', ['-l', mnt])
    await rm(mnt, { recursive: true, force: true })
  }
}

const runs: Record<string, () => Promise<void>> = { flush, crash, outage, diskfull }
for (const [name, run] of Object.entries(runs)) if (!values.only || values.only === name) await run()
await mkdir(values.out!, { recursive: true })
const file = path.join(values.out!, 'soak.json')
await writeFile(
  file,
  JSON.stringify({ at: new Date().toISOString(), node: process.version, args: values, report, lines }, null, 2) + '\n'
)
console.log(`\nwrote ${file}`)
