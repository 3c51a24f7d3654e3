// `sim load`: N devices split over worker threads (each runs TypeScript through tsx), a target
// aggregate rate, a progress bar on stderr, and a report of achieved rate, PUBACK latency
// quantiles, errors and reconnects (also as JSON).
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { Worker } from 'node:worker_threads'
import cliProgress from 'cli-progress'
import type { DeviceType } from '../../contracts/registry.ts'
import { mib, sampleNodeMemory, type NodeMemoryReport, type NodeMemorySource } from './nodeMemory.ts'
import { runSlice, type SliceOptions, type SliceProgress } from './slice.ts'

export interface LoadOptions extends Omit<SliceOptions, 'devices' | 'ratePerS' | 'maxInFlight' | 'connectConcurrency'> {
  readonly devices: readonly { id: string; token: string; type: DeviceType }[]
  readonly rate: number
  readonly workers: number
  readonly progress?: NodeJS.WritableStream
  /** Where to read the broker node's resident set during the run (--node-pid, or its /readyz). */
  readonly nodeMemory?: NodeMemorySource
}

export interface LoadReport {
  readonly devices: number
  readonly workers: number
  readonly targetRate: number
  readonly durationS: number
  readonly connected: number
  readonly connectFailures: number
  readonly sent: number
  readonly acked: number
  readonly achievedRate: number
  readonly errors: number
  readonly reconnects: number
  /** Publishes sent again after a dropped connection (the device's at-least-once). */
  readonly retries: number
  readonly malformed: number
  readonly duplicates: number
  readonly latencyMs: { p50: number; p95: number; p99: number; max: number }
  readonly elapsedS: number
  /** The node's RSS before the devices connected, at its peak and at the end; absent when it could not be read. */
  readonly node?: NodeMemoryReport
}

/** The soft limit on open files (Linux /proc), or undefined where it cannot be read. */
export function openFilesLimit(): { soft: number; hard: number } | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'))
    const [soft, hard] = line!.replace('Max open files', '').trim().split(/\s+/)
    const n = (s: string | undefined): number => (s === 'unlimited' ? Infinity : Number(s))
    return { soft: n(soft), hard: n(hard) }
  } catch {
    return undefined
  }
}

export function fdProblem(devices: number): string | undefined {
  const lim = openFilesLimit()
  const need = devices + 256
  if (!lim || lim.soft >= need) return undefined
  return (
    `sim load: ${devices} connections need about ${need} open files, but the limit is ${lim.soft} (hard ${lim.hard}).\n` +
    `  raise it in this shell first:  ulimit -n ${Math.min(Math.max(need, 65536), lim.hard)}` +
    (lim.hard < need
      ? `\n  the hard limit is below that too: raise it in /etc/security/limits.conf (nofile) or with systemd LimitNOFILE=, then log in again`
      : '')
  )
}

const q = (sorted: Float64Array, p: number): number =>
  sorted.length === 0 ? NaN : Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 10) / 10

export function defaultWorkers(devices: number): number {
  return devices <= 2000 ? 0 : Math.min(Math.max(1, os.availableParallelism() - 0), Math.ceil(devices / 5000))
}

export async function runLoad(o: LoadOptions): Promise<LoadReport> {
  const lanes = Math.max(1, o.workers)
  const slices: SliceOptions[] = Array.from({ length: lanes }, (_, i) => ({
    url: o.url,
    durationS: o.durationS,
    mix: o.mix,
    malformed: o.malformed,
    duplicates: o.duplicates,
    storms: o.storms,
    seed: o.seed + i,
    devices: o.devices.filter((_, j) => j % lanes === i),
    ratePerS: o.rate / lanes,
    maxInFlight: Math.max(1000, Math.ceil((o.rate / lanes) * 10)),
    connectConcurrency: 200
  }))
  const progress: SliceProgress[] = slices.map(() => ({
    phase: 'connecting',
    connected: 0,
    sent: 0,
    acked: 0,
    errors: 0,
    reconnects: 0,
    inFlight: 0,
    malformed: 0,
    duplicates: 0,
    connectFailures: 0,
    retries: 0
  }))
  const bar = new cliProgress.SingleBar(
    {
      stream: o.progress ?? process.stderr,
      format:
        '{phase} |{bar}| {value}/{total} s  conn {conn}  sent {sent}  acked {acked}  {rate} msg/s  in-flight {inflight}  err {err}  reconn {reconn}',
      hideCursor: true
    },
    cliProgress.Presets.shades_classic
  )
  const memory = o.nodeMemory ? sampleNodeMemory(o.nodeMemory) : undefined
  const started = Date.now()
  let runStart = 0
  bar.start(o.durationS, 0, {
    phase: 'connecting',
    conn: 0,
    sent: 0,
    acked: 0,
    rate: 0,
    inflight: 0,
    err: 0,
    reconn: 0
  })
  const sum = (k: keyof Omit<SliceProgress, 'phase'>): number => progress.reduce((a, p) => a + p[k], 0)
  const render = setInterval(() => {
    const running = progress.every((p) => p.phase !== 'connecting')
    if (running && runStart === 0) runStart = Date.now()
    const elapsed = runStart ? (Date.now() - runStart) / 1000 : 0
    bar.update(Math.min(o.durationS, Math.floor(elapsed)), {
      phase: running ? (elapsed >= o.durationS ? 'draining' : 'running') : 'connecting',
      conn: sum('connected'),
      sent: sum('sent'),
      acked: sum('acked'),
      rate: elapsed > 0 ? Math.round(sum('acked') / elapsed) : 0,
      inflight: sum('inFlight'),
      err: sum('errors'),
      reconn: sum('reconnects')
    })
  }, 500)
  const results = await Promise.all(
    slices.map((s, i) => {
      if (o.workers === 0)
        return runSlice(s, (p) => {
          progress[i] = p
        })
      return new Promise<{ progress: SliceProgress; latencies: Float64Array }>((resolve, reject) => {
        const w = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: s })
        w.on('message', (m: { type: 'progress' | 'done'; progress: SliceProgress; latencies?: Float64Array }) => {
          progress[i] = m.progress
          if (m.type === 'done') resolve({ progress: m.progress, latencies: m.latencies! })
        })
        w.on('error', reject)
        w.on('exit', (code) => {
          if (code !== 0) reject(new Error(`load worker ${i} exited with code ${code}`))
        })
      })
    })
  )
  clearInterval(render)
  const node = await memory?.stop()
  bar.update(o.durationS, { phase: 'done' })
  bar.stop()
  const all = new Float64Array(results.reduce((a, r) => a + r.latencies.length, 0))
  let off = 0
  for (const r of results) {
    all.set(r.latencies, off)
    off += r.latencies.length
  }
  all.sort()
  const total = (k: keyof Omit<SliceProgress, 'phase'>): number => results.reduce((a, r) => a + r.progress[k], 0)
  return {
    devices: o.devices.length,
    workers: o.workers,
    targetRate: o.rate,
    durationS: o.durationS,
    connected: total('connected'),
    connectFailures: total('connectFailures'),
    sent: total('sent'),
    acked: total('acked'),
    achievedRate: Math.round(total('acked') / o.durationS),
    errors: total('errors'),
    reconnects: total('reconnects'),
    retries: total('retries'),
    malformed: total('malformed'),
    duplicates: total('duplicates'),
    latencyMs: { p50: q(all, 0.5), p95: q(all, 0.95), p99: q(all, 0.99), max: q(all, 1) },
    elapsedS: Math.round((Date.now() - started) / 100) / 10,
    ...(node ? { node } : {})
  }
}

export function formatLoadReport(r: LoadReport): string {
  const rows: [string, string][] = [
    ['devices (connected / failed)', `${r.devices} (${r.connected} / ${r.connectFailures})`],
    ['workers', String(r.workers)],
    ['target rate', `${r.targetRate} msg/s`],
    ['achieved rate (acked / duration)', `${r.achievedRate} msg/s`],
    ['sent / acked', `${r.sent} / ${r.acked}`],
    [
      'PUBACK latency p50 / p95 / p99 / max',
      `${r.latencyMs.p50} / ${r.latencyMs.p95} / ${r.latencyMs.p99} / ${r.latencyMs.max} ms`
    ],
    ['errors', String(r.errors)],
    ['reconnects / publishes retried', `${r.reconnects} / ${r.retries}`],
    ['malformed / duplicates sent', `${r.malformed} / ${r.duplicates}`],
    ['wall time (incl. connect + drain)', `${r.elapsedS} s`],
    [
      'node RSS start / peak / end',
      r.node
        ? `${mib(r.node.startBytes)} / ${mib(r.node.peakBytes)} / ${mib(r.node.endBytes)} (${r.node.source})`
        : 'unknown (pass --node-pid PID, or --api URL of a node whose /readyz reports it)'
    ]
  ]
  const w = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')
}
