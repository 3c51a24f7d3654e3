// `sim load` reports the broker node's resident set: from the node's /readyz details, or from
// /proc/PID/status with --node-pid. The node here runs in this process, so both read the same.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../cli/main.ts'
import { provisionLoad } from '../../devices-sim/load/provision.ts'
import { DEFAULT_MIX, parseMix } from '../../devices-sim/load/mix.ts'
import { writeFileAtomic } from '../../lib/atomic.ts'
import { saveRegistry } from '../../registry/load.ts'
import { captureStreams } from '../fixtures/streams.ts'
import { startTestSystem, type TestSystem } from '../harness/system.ts'

let t: TestSystem
let credentials: string

beforeAll(async () => {
  t = await startTestSystem()
  const { registry, credentials: tokens } = provisionLoad(t.registry, 6, parseMix(DEFAULT_MIX))
  credentials = path.join(t.dataDir, 'load-credentials.json')
  await writeFileAtomic(credentials, JSON.stringify(tokens), 0o600)
  await saveRegistry(t.registryPath, registry)
  // The running broker picks the registry file up by its hot reload.
  const loaded = (): number => t.system.registry.current().devices.filter((d) => d.id.startsWith('load-')).length
  for (const until = Date.now() + 10_000; loaded() < 6 && Date.now() < until;)
    await new Promise((r) => setTimeout(r, 50))
}, 60_000)

afterAll(() => t?.stop())

async function load(extra: string[]): Promise<{ code: number; out: string; json: Record<string, unknown> }> {
  const io = captureStreams()
  const json = path.join(t.dataDir, `load-${extra.join('')}.json`.replace(/[^\w.-]/g, '_'))
  const args = [
    'sim',
    'load',
    '--devices',
    '6',
    '--rate',
    '12',
    '--duration',
    '1',
    '--workers',
    '0',
    '--credentials',
    credentials,
    '--mqtt',
    t.mqttUrl,
    '--json',
    json,
    ...extra
  ]
  const code = await main(args, { env: {}, stdout: io.stdout, stderr: io.stderr })
  return { code, out: io.out(), json: JSON.parse(await readFile(json, 'utf8')) as Record<string, unknown> }
}

describe('sim load: the node RSS', () => {
  it('/readyz details carry the process memory', async () => {
    const body = (await (await fetch(`${t.httpUrl}/readyz`)).json()) as {
      details: {
        process: {
          rssBytes: number
          heapUsedBytes: number
          heapTotalBytes: number
          externalBytes: number
          arrayBuffersBytes: number
        }
      }
    }
    const p = body.details.process
    expect(p.rssBytes).toBeGreaterThan(p.heapUsedBytes)
    expect(p.heapUsedBytes).toBeGreaterThan(0)
    // What the heap has reserved, and the Buffers outside it.
    expect(p.heapTotalBytes).toBeGreaterThanOrEqual(p.heapUsedBytes)
    expect(p.externalBytes).toBeGreaterThanOrEqual(p.arrayBuffersBytes)
  })

  it('reads it from /readyz (--api) and prints start / peak / end in the table and the JSON', async () => {
    const r = await load(['--api', t.httpUrl])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(
      /node RSS start \/ peak \/ end\s+\d+ MiB \/ \d+ MiB \/ \d+ MiB \(http:\/\/127\.0\.0\.1:\d+\/readyz\)/
    )
    const node = r.json.node as {
      source: string
      samples: number
      startBytes: number
      peakBytes: number
      endBytes: number
      peakHeapUsedBytes: number
    }
    expect(node.source).toBe(`${t.httpUrl}/readyz`)
    expect(node.samples).toBeGreaterThanOrEqual(2)
    expect(node.peakBytes).toBeGreaterThanOrEqual(Math.max(node.startBytes, node.endBytes))
    expect(node.peakHeapUsedBytes).toBeGreaterThan(0)
  })

  it('reads it from /proc with --node-pid, the kernel high-water mark included', async () => {
    const r = await load(['--node-pid', String(process.pid)])
    expect(r.code).toBe(0)
    const node = r.json.node as { source: string; peakBytes: number; endBytes: number }
    expect(node.source).toBe(`/proc/${process.pid}/status`)
    const status = await readFile(`/proc/${process.pid}/status`, 'utf8')
    const hwm = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)![1]) * 1024
    expect(node.peakBytes).toBeGreaterThan(0)
    expect(node.peakBytes).toBeLessThanOrEqual(hwm)
  })

  it('says so when the node cannot be read, and refuses both sources at once', async () => {
    const r = await load(['--api', 'http://127.0.0.1:1'])
    expect(r.code).toBe(0)
    expect(r.out).toContain('node RSS start / peak / end')
    expect(r.out).toContain('unknown (pass --node-pid PID')
    expect(r.json.node).toBeUndefined()
    const io = captureStreams()
    expect(
      await main(['sim', 'load', '--devices', '1', '--node-pid', '1', '--api', t.httpUrl], {
        env: {},
        stdout: io.stdout,
        stderr: io.stderr
      })
    ).toBe(2)
    expect(io.err()).toContain('give --node-pid or --api, not both')
  })
})
