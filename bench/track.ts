// How long a track replay (GET /api/v1/vehicles/{id}/track) takes for a truck's full day on the
// sample city, reading InfluxDB: the target is under 300 ms.
//
//   npm run bench:track [-- --trucks 320 --samples 30]
//
// Simulates one day of the sample registry's trucks and weighbridges (devices-sim's city model:
// GPS every 15 s on duty, every ticket with its plate), writes it into a fresh local influxd,
// then times dashboard-api/model/track.ts's vehicleTrack() for the busiest trucks, each read
// twice (the first read of a series warms influxd's caches; both count). Prints a table,
// writes bench-output/track.json.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import type { Fact } from '../contracts/facts.ts'
import { resolveRules, type Registry } from '../contracts/registry.ts'
import { vehicleTrack } from '../dashboard-api/model/track.ts'
import { createCityDay } from '../devices-sim/city/day.ts'
import { createInfluxClient } from '../influx/client.ts'
import { toLine } from '../influx/lineProtocol.ts'
import { startLocalInfluxd } from '../influx/local.ts'
import { toPoint } from '../influx/schema/index.ts'
import { addDays, localDate } from '../lib/time.ts'
import { createWriter } from '../store/influxWriter.ts'

const { values } = parseArgs({
  options: {
    trucks: { type: 'string', default: '320' },
    samples: { type: 'string', default: '30' },
    out: { type: 'string', default: 'bench-output' }
  }
})
const TZ = 'Asia/Shanghai'
const log = pino({ level: 'warn' })
const sample = JSON.parse(await readFile(new URL('../registry/sample/wuxi.json', import.meta.url), 'utf8')) as Registry
const trucks = new Set(sample.vehicles.slice(0, Number(values.trucks)).map((v) => v.id))
// Trackers of the chosen trucks and every weighbridge: fill sensors and heartbeats play no part.
const registry: Registry = {
  ...sample,
  devices: sample.devices.filter(
    (d) => d.type === 'weighbridge' || (d.type === 'gps-tracker' && trucks.has(d.vehicleId!))
  )
}
const dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-track-'))
const influxd = await startLocalInfluxd({ dataDir: dir, log })
try {
  const influx = createInfluxClient({ url: influxd.url, db: 'bench', timeoutMs: 120_000 })
  await influx.ensureDatabase()
  const writer = createWriter({ client: influx, log })
  const day = addDays(localDate(Date.now(), TZ), -1)
  const t0 = performance.now()
  const city = createCityDay(registry, { date: day, tz: TZ, seed: 1 })
  const device = new Map(registry.devices.map((d) => [d.id, d]))
  const vehicle = new Map(registry.vehicles.map((v) => [v.id, v]))
  const site = new Map(registry.sites.map((s) => [s.id, s]))
  const fixesOf = new Map<string, number>()
  let points = 0
  let buffer: string[] = []
  const pending: Promise<unknown>[] = []
  const emit = (f: Fact): void => {
    buffer.push(toLine(toPoint(f)))
    points++
    if (buffer.length >= 5000) {
      pending.push(writer.write(buffer))
      buffer = []
    }
  }
  for (const e of city.until(city.dayEnd)) {
    const d = device.get(e.deviceId)!
    const base = { deviceId: d.id, ts: e.t, seq: e.message.seq!, recvMs: e.t + 500 }
    if (e.kind === 'position' && d.vehicleId) {
      const v = vehicle.get(d.vehicleId)!
      const m = e.message as { lat: number; lon: number; speedKmh: number; headingDeg?: number }
      fixesOf.set(v.id, (fixesOf.get(v.id) ?? 0) + 1)
      emit({
        kind: 'position',
        ...base,
        vehicleId: v.id,
        vehicleType: v.type,
        lat: m.lat,
        lon: m.lon,
        speedKmh: m.speedKmh,
        ...(m.headingDeg === undefined ? {} : { headingDeg: m.headingDeg })
      })
    } else if (e.kind === 'weighing' && d.siteId) {
      const s = site.get(d.siteId)!
      const m = e.message as Omit<Extract<Fact, { kind: 'weighing' }>, 'kind' | 'siteId' | 'siteType' | 'district'>
      emit({
        kind: 'weighing',
        ...base,
        siteId: s.id,
        siteType: s.type,
        district: s.district,
        ticketId: m.ticketId,
        direction: m.direction,
        stream: m.stream,
        ...(m.material === undefined ? {} : { material: m.material }),
        grossKg: m.grossKg,
        tareKg: m.tareKg,
        netKg: m.netKg,
        plate: m.plate
      })
    }
  }
  if (buffer.length) pending.push(writer.write(buffer))
  await Promise.all(pending)
  await writer.close()
  const writeS = (performance.now() - t0) / 1000

  const rules = resolveRules(registry.rules)
  const busiest = [...fixesOf].sort((a, b) => b[1] - a[1]).slice(0, Number(values.samples))
  const ms: number[] = []
  /** The positions query alone, as the replay sends it: how much of the time is InfluxDB's. */
  const queryMs: number[] = []
  let maxFixes = 0
  let maxPoints = 0
  for (const [id] of busiest) {
    for (let k = 0; k < 2; k++) {
      const t1 = performance.now()
      const tr = await vehicleTrack({
        influx,
        registry,
        rules,
        tz: TZ,
        vehicle: vehicle.get(id)!,
        day,
        maxFixes: 50_000
      })
      ms.push(performance.now() - t1)
      maxFixes = Math.max(maxFixes, tr.fixes)
      maxPoints = Math.max(maxPoints, tr.points.length)
      // (after the replay: its own read is the cold one)
      const t2 = performance.now()
      await influx.query(
        `SELECT lat, lon, speed_kmh, heading_deg FROM position WHERE vehicle = '${id}' AND time >= ${city.dayStart}ms` +
          ` AND time < ${city.dayEnd}ms ORDER BY time ASC LIMIT 50001`,
        { epoch: 'ms' }
      )
      queryMs.push(performance.now() - t2)
    }
  }
  ms.sort((a, b) => a - b)
  queryMs.sort((a, b) => a - b)
  const at = (xs: number[], p: number): number =>
    +(xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0).toFixed(1)
  const q = (p: number): number => at(ms, p)
  const results = [
    { name: 'points written (positions + tickets)', value: points, unit: 'points', note: `${writeS.toFixed(1)} s` },
    { name: 'trucks timed (each read twice)', value: busiest.length, unit: 'trucks' },
    { name: 'fixes in the busiest day', value: maxFixes, unit: 'fixes', note: `→ ${maxPoints} points drawn` },
    { name: 'track replay p50', value: q(0.5), unit: 'ms' },
    { name: 'track replay p95', value: q(0.95), unit: 'ms' },
    { name: 'track replay max', value: q(1), unit: 'ms', note: 'target < 300 ms' },
    { name: 'positions query alone p50', value: at(queryMs, 0.5), unit: 'ms', note: `p95 ${at(queryMs, 0.95)} ms` },
    { name: 'load average (1 min) at the end', value: os.loadavg()[0]!.toFixed(1), unit: '' }
  ]
  const width = Math.max(...results.map((r) => r.name.length))
  console.log(`\n${'benchmark'.padEnd(width)}  ${'value'.padStart(10)}  unit`)
  for (const r of results)
    console.log(`${r.name.padEnd(width)}  ${String(r.value).padStart(10)}  ${r.unit}${r.note ? `   (${r.note})` : ''}`)
  await mkdir(values.out!, { recursive: true })
  const file = path.join(values.out!, 'track.json')
  await writeFile(
    file,
    JSON.stringify({ at: new Date().toISOString(), node: process.version, args: values, results }, null, 2) + '\n'
  )
  console.log(`\nwrote ${file}`)
} finally {
  await influxd.stop()
  await rm(dir, { recursive: true, force: true })
}
