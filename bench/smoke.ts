// Every benchmark once, in a short smoke mode (seconds, no figures judged), so that a broken
// one fails the build instead of rotting (docs/conventions.md, rule 14). `npm run bench:smoke`;
// scripts/test.sh runs it after the tests. A new bench/*.ts must be listed here: an unlisted
// one fails this script.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const SMOKE: Record<string, string[]> = {
  'run.ts': ['--devices', '5', '--seconds', '1', '--window', '2'],
  'rebuild.ts': ['--trackers-hours', '0.1', '--gps-interval', '600', '--fill-interval', '21600'],
  'web.ts': ['--seconds', '1'],
  'spool.ts': ['--seconds', '0.2'],
  'drain.ts': [
    '--devices',
    '2',
    '--rate',
    '20',
    '--warmup',
    '1',
    '--freeze',
    '1',
    '--max-drain',
    '10',
    '--single',
    '50',
    '--single-timeout',
    '10'
  ],
  'ack.ts': ['--smoke'],
  'cluster.ts': ['--smoke'],
  'history.ts': ['--smoke'],
  'track.ts': ['--trucks', '3', '--samples', '2']
}
const NOT_BENCHMARKS = new Set(['smoke.ts'])

const found = readdirSync(here).filter((f) => f.endsWith('.ts') && !NOT_BENCHMARKS.has(f))
const unlisted = found.filter((f) => !(f in SMOKE))
if (unlisted.length > 0) {
  console.error(`bench/smoke.ts: no smoke arguments for ${unlisted.join(', ')}; add them to SMOKE`)
  process.exit(1)
}
const out = mkdtempSync(path.join(os.tmpdir(), 'qingyun-bench-smoke-'))
let failed = 0
// Two at a time: a smoke run checks that each benchmark still works, it measures nothing, and
// most of its time is spent starting servers. (Never run real benchmarks side by side.)
const CONCURRENCY = 2
const runOne = (file: string): Promise<void> =>
  new Promise((resolve) => {
    const t0 = Date.now()
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, file), ...SMOKE[file]!, '--out', out], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 180_000
    })
    let spawnError: Error | undefined
    child.on('error', (err) => (spawnError = err))
    child.on('close', (status, signal) => {
      const ok = status === 0
      if (!ok) failed++
      const why = spawnError ? ` (${spawnError.message})` : signal ? ` (signal ${signal})` : ''
      console.log(
        `bench smoke: ${file.padEnd(12)} ${ok ? 'ok' : `FAILED, exit ${status}${why}`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`
      )
      resolve()
    })
  })
try {
  const queue = [...found]
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let f = queue.shift(); f !== undefined; f = queue.shift()) await runOne(f)
    })
  )
} finally {
  rmSync(out, { recursive: true, force: true })
}
process.exit(failed === 0 ? 0 : 1)
