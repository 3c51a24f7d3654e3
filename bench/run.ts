// Benchmarks (docs/conventions.md, rule 14): one command (`npm run bench`), a printed table, JSON out in
// bench-output/. Never timed assertions in tests.
//
//   npm run bench                      # all
//   npm run bench -- --only e2e --devices 500 --seconds 20 --window 4
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { startSystem } from '../node/system.ts'
import type { Registry } from '../contracts/registry.ts'
import { toLine } from '../influx/lineProtocol.ts'
import { toPoint } from '../influx/schema/index.ts'
import { processMessage } from '../ingest/process.ts'
import { parseConfig } from '../lib/config.ts'
import { saveRegistry } from '../registry/load.ts'
import { generateToken, hashToken } from '../registry/tokens.ts'
import { lookup, testRegistry } from '../test/fixtures/registry.ts'

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    devices: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    window: { type: 'string', default: '4' },
    out: { type: 'string', default: 'bench-output' }
  }
})

interface Row {
  name: string
  value: number
  unit: string
  note?: string
}
const results: Row[] = []
const limits = { maxPayloadBytes: 256 * 1024, tsMaxFutureMs: 600_000, tsMaxAgeMs: 30 * 86_400_000 }

function timeIt(n: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(n, 2000); i++) fn(i) // warm-up
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn(i)
  return Number(process.hrtime.bigint() - t0) / 1e9
}

function micro(): void {
  const reg = lookup(testRegistry().registry)
  const now = Date.now()
  const payload = Buffer.from(
    JSON.stringify({
      ts: now - 1000,
      seq: 1,
      ticketId: 'LX01-20261128-0041',
      direction: 'in',
      stream: 'residual',
      grossKg: 18240,
      tareKg: 10120,
      netKg: 8120,
      plate: '苏B12345'
    })
  )
  const msg = { deviceId: 'wb-1', kind: 'weighing' as const, topic: 'v1/devices/wb-1/weighing', payload, recvMs: now }
  const n = 200_000
  const s1 = timeIt(n, () => processMessage(msg, reg, limits))
  results.push({
    name: 'decode+validate+enrich (weighing)',
    value: Math.round(n / s1),
    unit: 'msg/s',
    note: 'processMessage, one core'
  })
  const fact = processMessage(msg, reg, limits).accepted[0]!
  const s2 = timeIt(n, () => toLine(toPoint(fact)))
  results.push({ name: 'point + line protocol (weighing)', value: Math.round(n / s2), unit: 'lines/s' })
  const batch = Buffer.from(
    JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ ts: now - 100_000 + i, seq: i, fillPct: i % 100 })))
  )
  const bmsg = {
    deviceId: 'fill-1',
    kind: 'fill' as const,
    topic: 'v1/devices/fill-1/fill',
    payload: batch,
    recvMs: now
  }
  const s3 = timeIt(2000, () => processMessage(bmsg, reg, limits))
  results.push({ name: 'decode a 500-object fill batch', value: Math.round((2000 * 500) / s3), unit: 'objects/s' })
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

async function e2e(): Promise<void> {
  const devices = Number(values.devices)
  const seconds = Number(values.seconds)
  const window = Number(values.window)
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-bench-'))
  const { registry: base } = testRegistry()
  const tokens: string[] = []
  const registry: Registry = {
    ...base,
    bins: Array.from({ length: devices }, (_, i) => ({
      id: `bin-${i}`,
      stream: 'residual' as const,
      district: '梁溪' as const,
      location: { lat: 31.5, lon: 120.3 },
      capacityL: 240
    })),
    devices: Array.from({ length: devices }, (_, i) => {
      tokens.push(generateToken('qyd_'))
      return {
        id: `fill-${i}`,
        type: 'fill-sensor' as const,
        binId: `bin-${i}`,
        tokenHash: hashToken(tokens[i]!),
        enabled: true
      }
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
    ...(process.env.QINGYUN_INFLUX_URL ? { QINGYUN_INFLUX_URL: process.env.QINGYUN_INFLUX_URL } : {})
  })
  const system = await startSystem(config, pino({ level: 'warn' }))
  try {
    const url = `mqtt://127.0.0.1:${system.broker.mqttPort}`
    const clients = await Promise.all(
      tokens.map((t, i) =>
        mqtt.connectAsync(url, {
          username: `fill-${i}`,
          password: t,
          clientId: `b${i}`,
          reconnectPeriod: 0,
          keepalive: 120
        })
      )
    )
    const latencies: number[] = []
    let errors = 0
    const start = Date.now()
    const deadline = start + seconds * 1000
    const rssBefore = process.memoryUsage().rss
    let seq = 0
    await Promise.all(
      clients.map(async (c, i) => {
        const lane = async (): Promise<void> => {
          while (Date.now() < deadline) {
            const body = JSON.stringify({ ts: Date.now() - 1000, seq: seq++, fillPct: (i * 7 + seq) % 100 })
            const t0 = performance.now()
            try {
              await c.publishAsync(`v1/devices/fill-${i}/fill`, body, { qos: 1 })
              latencies.push(performance.now() - t0)
            } catch {
              errors++
            }
          }
        }
        await Promise.all(Array.from({ length: window }, lane))
      })
    )
    const elapsed = (Date.now() - start) / 1000
    const rssPeak = process.memoryUsage().rss
    await Promise.all(clients.map((c) => c.endAsync()))
    latencies.sort((a, b) => a - b)
    const stats = system.ingest.stats()
    results.push(
      {
        name: `e2e QoS1 publish→stored→PUBACK (${devices} devices × window ${window})`,
        value: Math.round(latencies.length / elapsed),
        unit: 'msg/s',
        note: `${latencies.length} acked in ${elapsed.toFixed(1)} s, ${errors} errors`
      },
      { name: 'PUBACK latency p50', value: +quantile(latencies, 0.5).toFixed(1), unit: 'ms' },
      { name: 'PUBACK latency p95', value: +quantile(latencies, 0.95).toFixed(1), unit: 'ms' },
      { name: 'PUBACK latency p99', value: +quantile(latencies, 0.99).toFixed(1), unit: 'ms' },
      { name: 'PUBACK latency max', value: +(latencies.at(-1) ?? NaN).toFixed(1), unit: 'ms' },
      {
        name: 'process RSS (broker+ingest+clients, one process)',
        value: Math.round(rssPeak / 2 ** 20),
        unit: 'MiB',
        note: `before load ${Math.round(rssBefore / 2 ** 20)} MiB`
      },
      { name: 'messages stored', value: stats.accepted, unit: 'points' }
    )
  } finally {
    await system.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

if (!values.only || values.only === 'micro') micro()
if (!values.only || values.only === 'e2e') await e2e()

const width = Math.max(...results.map((r) => r.name.length))
console.log(`\n${'benchmark'.padEnd(width)}  ${'value'.padStart(12)}  unit`)
for (const r of results)
  console.log(`${r.name.padEnd(width)}  ${String(r.value).padStart(12)}  ${r.unit}${r.note ? `   (${r.note})` : ''}`)
await mkdir(values.out!, { recursive: true })
const file = path.join(values.out!, 'ingest.json')
await writeFile(
  file,
  JSON.stringify(
    { at: new Date().toISOString(), node: process.version, cpus: os.cpus().length, args: values, results },
    null,
    2
  ) + '\n'
)
console.log(`\nwrote ${file}`)
