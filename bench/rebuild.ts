// How long the operations model takes to rebuild a full, busy day from InfluxDB when
// dashboard-api starts (docs/architecture.md, decision 3), and what it costs in memory.
//
//   npm run bench:rebuild [-- --trackers-hours 10 --gps-interval 15 --fill-interval 300]
//
// Writes one synthetic Wuxi day (the sample registry's devices: fills every 5 min, GPS every
// 15 s while on duty, hourly status, about a thousand tickets) into a fresh local influxd,
// then times createModel().start(). Prints a table, writes bench-output/rebuild.json.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import type { Fact } from '../contracts/facts.ts'
import type { Registry } from '../contracts/registry.ts'
import { createModel } from '../dashboard-api/model/model.ts'
import { createInfluxClient } from '../influx/client.ts'
import { toLine } from '../influx/lineProtocol.ts'
import { startLocalInfluxd } from '../influx/local.ts'
import { toPoint } from '../influx/schema/index.ts'
import { createWriter } from '../store/influxWriter.ts'
import { localDate, startOfLocalDay } from '../lib/time.ts'

const { values } = parseArgs({
  options: {
    'trackers-hours': { type: 'string', default: '10' },
    'gps-interval': { type: 'string', default: '15' },
    'fill-interval': { type: 'string', default: '300' },
    out: { type: 'string', default: 'bench-output' }
  }
})
const TZ = 'Asia/Shanghai'
const log = pino({ level: 'warn' })
const registry = JSON.parse(
  await readFile(new URL('../registry/sample/wuxi.json', import.meta.url), 'utf8')
) as Registry
const dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-rebuild-'))
const influxd = await startLocalInfluxd({ dataDir: dir, log })
try {
  const influx = createInfluxClient({ url: influxd.url, db: 'bench', timeoutMs: 120_000 })
  await influx.ensureDatabase()
  const writer = createWriter({ client: influx, log })
  const day = localDate(Date.now(), TZ)
  const start = startOfLocalDay(day, TZ)
  const now = start + 24 * 3_600_000 - 60_000
  const site = new Map(registry.sites.map((s) => [s.id, s]))
  const bin = new Map(registry.bins.map((b) => [b.id, b]))
  const vehicle = new Map(registry.vehicles.map((v) => [v.id, v]))

  let points = 0
  const pending: Promise<unknown>[] = []
  let buffer: string[] = []
  const emit = (f: Fact): void => {
    buffer.push(toLine(toPoint(f)))
    points++
    if (buffer.length >= 5000) {
      pending.push(writer.write(buffer))
      buffer = []
    }
  }
  const t0 = performance.now()
  const fillEvery = Number(values['fill-interval']) * 1000
  const gpsEvery = Number(values['gps-interval']) * 1000
  const dutyMs = Number(values['trackers-hours']) * 3_600_000
  for (const d of registry.devices) {
    let seq = 0
    const base = { deviceId: d.id, recvMs: 0 }
    if (d.type === 'fill-sensor') {
      const b = bin.get(d.binId!)!
      for (let t = start; t < start + 86_400_000; t += fillEvery)
        emit({
          kind: 'fill',
          ...base,
          ts: t,
          seq: seq++,
          recvMs: t + 800,
          binId: b.id,
          binStream: b.stream,
          district: b.district,
          fillPct: ((t - start) / 86_400_000) * 90
        })
    } else if (d.type === 'gps-tracker') {
      const v = vehicle.get(d.vehicleId!)!
      for (let t = start + 6 * 3_600_000; t < start + 6 * 3_600_000 + dutyMs; t += gpsEvery)
        emit({
          kind: 'position',
          ...base,
          ts: t,
          seq: seq++,
          recvMs: t + 500,
          vehicleId: v.id,
          vehicleType: v.type,
          lat: 31.5 + (t % 1000) / 1e5,
          lon: 120.3,
          speedKmh: 25
        })
    } else {
      const s = site.get(d.siteId!)!
      for (let i = 0; i < 20; i++) {
        const ts = start + 3_600_000 + i * 3_000_000
        emit({
          kind: 'weighing',
          ...base,
          ts,
          seq: seq++,
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
        })
      }
    }
    for (let h = 0; h < 24; h++)
      emit({
        kind: 'status',
        ...base,
        ts: start + h * 3_600_000 + 1,
        seq: seq++,
        recvMs: start + h * 3_600_000 + 900,
        deviceType: d.type,
        batteryPct: 80
      })
  }
  if (buffer.length) pending.push(writer.write(buffer))
  await Promise.all(pending)
  const writeS = (performance.now() - t0) / 1000
  await writer.close()

  const rss0 = process.memoryUsage().rss
  const store = { current: () => registry, onChange: () => () => {} }
  const facts = { subscribe: async () => {}, connected: () => true, close: async () => {} }
  const t1 = performance.now()
  const model = createModel({ facts, influx, registry: store, tz: TZ, now: () => now, log })
  await model.start()
  const rebuildS = (performance.now() - t1) / 1000
  const rss1 = process.memoryUsage().rss
  const city = await model.city()
  await model.close()

  const results = [
    { name: 'points in the day', value: points, unit: 'points' },
    {
      name: 'write through the group-commit writer',
      value: Math.round(points / writeS),
      unit: 'points/s',
      note: `${writeS.toFixed(1)} s`
    },
    { name: 'model rebuild (createModel().start())', value: +rebuildS.toFixed(1), unit: 's' },
    { name: 'rebuild rate', value: Math.round(points / rebuildS), unit: 'points/s' },
    {
      name: 'RSS after rebuild',
      value: Math.round(rss1 / 2 ** 20),
      unit: 'MiB',
      note: `before ${Math.round(rss0 / 2 ** 20)} MiB`
    },
    { name: 'city inT after rebuild', value: city.inT, unit: 't' }
  ]
  const width = Math.max(...results.map((r) => r.name.length))
  console.log(`\n${'benchmark'.padEnd(width)}  ${'value'.padStart(12)}  unit`)
  for (const r of results)
    console.log(`${r.name.padEnd(width)}  ${String(r.value).padStart(12)}  ${r.unit}${r.note ? `   (${r.note})` : ''}`)
  await mkdir(values.out!, { recursive: true })
  const file = path.join(values.out!, 'rebuild.json')
  await writeFile(
    file,
    JSON.stringify({ at: new Date().toISOString(), node: process.version, args: values, results }, null, 2) + '\n'
  )
  console.log(`\nwrote ${file}`)
} finally {
  await influxd.stop()
  await rm(dir, { recursive: true, force: true })
}
