// How fast the REST API answers about a past day (docs/history.md): every past-day read —
// city, sites, a site's balance and hours, history over a week, recyclables, completeness by
// site and by device, the daily report — timed over HTTP against a full synthetic day in a
// private influxd.
//
//   node --import tsx bench/history.ts [--trackers-hours 10 --gps-interval 15 --fill-interval 300] [--smoke]
//
// Writes yesterday as one synthetic Wuxi day (the sample registry's devices: fills every 5 min,
// GPS every 15 s while on duty, hourly status, 20 tickets per weighbridge; a seq gap now and
// then), starts the model at 10:00 today with the API on a loopback port, waits for the day
// summary the model writes for a closed day, then asks each endpoint 5 times and prints the
// median (p50) and the worst. Writes bench-output/history.json. `--smoke`: a tiny day.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import Fastify, { type FastifyBaseLogger } from 'fastify'
import { pino } from 'pino'
import type { Fact } from '../contracts/facts.ts'
import type { Registry } from '../contracts/registry.ts'
import { createUserStore } from '../dashboard-api/auth/users.ts'
import { createModel } from '../dashboard-api/model/model.ts'
import { registerApi } from '../dashboard-api/routes/index.ts'
import { createInfluxClient } from '../influx/client.ts'
import { toLine } from '../influx/lineProtocol.ts'
import { startLocalInfluxd } from '../influx/local.ts'
import { toPoint } from '../influx/schema/index.ts'
import { addDays, localDate, startOfLocalDay } from '../lib/time.ts'
import { SAMPLE_REGISTRY } from '../node/system.ts'
import { createRegistryStore } from '../registry/store.ts'
import { createWriter } from '../store/influxWriter.ts'

const { values } = parseArgs({
  options: {
    'trackers-hours': { type: 'string', default: '10' },
    'gps-interval': { type: 'string', default: '15' },
    'fill-interval': { type: 'string', default: '300' },
    runs: { type: 'string', default: '5' },
    smoke: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-output' }
  }
})
const smoke = values.smoke!
const trackersHours = smoke ? 0.1 : Number(values['trackers-hours'])
const gpsEvery = (smoke ? 600 : Number(values['gps-interval'])) * 1000
const fillEvery = (smoke ? 21_600 : Number(values['fill-interval'])) * 1000
const runs = smoke ? 1 : Math.max(1, Number(values.runs))

const TZ = 'Asia/Shanghai'
const log = pino({ level: 'warn' })
const registry = JSON.parse(await readFile(SAMPLE_REGISTRY, 'utf8')) as Registry

/** One synthetic day of every device of the sample registry, as facts. */
function* syntheticDay(start: number): Generator<Fact> {
  const site = new Map(registry.sites.map((s) => [s.id, s]))
  const bin = new Map(registry.bins.map((b) => [b.id, b]))
  const vehicle = new Map(registry.vehicles.map((v) => [v.id, v]))
  for (const d of registry.devices) {
    let seq = 0
    // Every 500th seq is never sent: the completeness report has something missing to find.
    const next = (): number => (++seq % 500 === 0 ? ++seq : seq)
    const base = { deviceId: d.id }
    if (d.type === 'fill-sensor') {
      const b = bin.get(d.binId!)!
      for (let t = start; t < start + 86_400_000; t += fillEvery)
        yield {
          kind: 'fill',
          ...base,
          ts: t,
          seq: next(),
          recvMs: t + 800,
          binId: b.id,
          binStream: b.stream,
          district: b.district,
          fillPct: ((t - start) / 86_400_000) * 110
        }
    } else if (d.type === 'gps-tracker') {
      const v = vehicle.get(d.vehicleId!)!
      const from = start + 6 * 3_600_000
      for (let t = from; t < from + trackersHours * 3_600_000; t += gpsEvery)
        yield {
          kind: 'position',
          ...base,
          ts: t,
          seq: next(),
          recvMs: t + 500,
          vehicleId: v.id,
          vehicleType: v.type,
          lat: 31.5 + (t % 1000) / 1e5,
          lon: 120.3,
          speedKmh: 25
        }
    } else {
      const s = site.get(d.siteId!)!
      for (let i = 0; i < 20; i++) {
        const ts = start + 3_600_000 + i * 3_000_000
        yield {
          kind: 'weighing',
          ...base,
          ts,
          seq: next(),
          recvMs: ts + 900,
          siteId: s.id,
          siteType: s.type,
          district: s.district,
          ticketId: `${d.id}-${i}`,
          direction: i % 3 === 2 ? 'out' : 'in',
          stream: s.type === 'sorting' ? 'recyclable' : 'residual',
          ...(s.type === 'sorting' ? { material: 'paper' as const } : {}),
          grossKg: 18000,
          tareKg: 10000,
          netKg: 8000,
          plate: '苏B12345'
        }
      }
    }
    for (let h = 0; h < 24; h++)
      yield {
        kind: 'status',
        ...base,
        ts: start + h * 3_600_000 + 1,
        seq: next(),
        recvMs: start + h * 3_600_000 + 900,
        deviceType: d.type,
        batteryPct: 80
      }
  }
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-bench-history-'))
const influxd = await startLocalInfluxd({ dataDir: path.join(dir, 'influxd'), log })
try {
  const influx = createInfluxClient({ url: influxd.url, db: 'bench', timeoutMs: 120_000 })
  await influx.ensureDatabase()
  const today = localDate(Date.now(), TZ)
  const day = addDays(today, -1)
  const now = startOfLocalDay(today, TZ) + 10 * 3_600_000

  const writer = createWriter({ client: influx, log })
  const t0 = performance.now()
  let points = 0
  let buffer: string[] = []
  const pending: Promise<unknown>[] = []
  for (const f of syntheticDay(startOfLocalDay(day, TZ))) {
    buffer.push(toLine(toPoint(f)))
    points++
    if (buffer.length >= 5000) {
      pending.push(writer.write(buffer))
      buffer = []
    }
  }
  if (buffer.length) pending.push(writer.write(buffer))
  await Promise.all(pending)
  await writer.close()
  const writeS = (performance.now() - t0) / 1000

  const registryPath = path.join(dir, 'registry.json')
  await copyFile(SAMPLE_REGISTRY, registryPath)
  const store = await createRegistryStore({ path: registryPath, log, watch: false })
  const users = await createUserStore({ path: path.join(dir, 'users.json'), log, watch: false })
  const token = await users.add('bench', 'operator')
  const facts = { subscribe: async () => {}, connected: () => true, close: async () => {} }
  const model = createModel({ facts, influx, registry: store, tz: TZ, now: () => now, log })
  await model.start()
  // The model summarises the closed day in the background (docs/history.md); time how long.
  const t1 = performance.now()
  await model.summariesSettled?.()
  const summaryS = (performance.now() - t1) / 1000

  const app = Fastify({ loggerInstance: log as FastifyBaseLogger })
  await registerApi(app, { model, authenticator: users, registryPath, registry: store, log })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/v1`
  const site = registry.sites[0]!.id
  const endpoints: [string, string][] = [
    ['city', `/city?date=${day}`],
    ['sites', `/sites?date=${day}`],
    ['site balance', `/sites/${site}/balance?date=${day}`],
    ['site hourly', `/sites/${site}/hourly?date=${day}`],
    ['history 7 days', `/history?from=${addDays(day, -6)}&to=${day}`],
    ['history 7 days CSV', `/history?from=${addDays(day, -6)}&to=${day}&format=csv`],
    ['recyclables', `/recyclables?date=${day}`],
    ['completeness by site', `/completeness?by=site&date=${day}`],
    ['completeness by device', `/completeness?by=device&date=${day}`],
    ['daily report (json)', `/reports/daily?date=${day}&format=json`],
    ['daily report (xlsx)', `/reports/daily?date=${day}&format=xlsx`],
    ['monthly report (json)', `/reports/monthly?month=${day.slice(0, 7)}&format=json`]
  ]
  const results: { name: string; path: string; p50Ms: number; maxMs: number; bytes: number }[] = []
  for (const [name, p] of endpoints) {
    const times: number[] = []
    let bytes = 0
    for (let i = 0; i < runs; i++) {
      const t = performance.now()
      const res = await fetch(base + p, { headers: { authorization: `Bearer ${token}` } })
      const body = await res.arrayBuffer()
      times.push(performance.now() - t)
      if (res.status !== 200) throw new Error(`${p}: HTTP ${res.status}: ${Buffer.from(body).toString().slice(0, 300)}`)
      bytes = body.byteLength
    }
    times.sort((a, b) => a - b)
    results.push({
      name,
      path: p,
      p50Ms: Math.round(times[Math.floor((times.length - 1) / 2)]!),
      maxMs: Math.round(times.at(-1)!),
      bytes
    })
  }
  await app.close()
  await model.close()
  await store.close()
  await users.close()

  console.log(`\n${points} points on ${day} written in ${writeS.toFixed(1)} s; day summary in ${summaryS.toFixed(1)} s`)
  const width = Math.max(...results.map((r) => r.name.length))
  console.log(`\n${'endpoint'.padEnd(width)}  ${'p50 ms'.padStart(8)}  ${'max ms'.padStart(8)}  ${'bytes'.padStart(9)}`)
  for (const r of results)
    console.log(
      [
        r.name.padEnd(width),
        String(r.p50Ms).padStart(8),
        String(r.maxMs).padStart(8),
        String(r.bytes).padStart(9)
      ].join('  ')
    )
  await mkdir(values.out!, { recursive: true })
  const file = path.join(values.out!, 'history.json')
  await writeFile(
    file,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        node: process.version,
        args: values,
        day,
        points,
        writeS,
        summaryS,
        runs,
        results
      },
      null,
      2
    ) + '\n'
  )
  console.log(`\nwrote ${file}`)
} finally {
  await influxd.stop()
  await rm(dir, { recursive: true, force: true })
}
