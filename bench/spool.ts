// The durable spool's append path: appends/s and MB/s with 1, 50 and 500 concurrent
// appenders, for 70-byte and 1 KiB records, each append acknowledged only after its group
// fsync; plus fsyncs/s and fsync latency. A forwarder stand-in commits behind the appenders so
// segments roll and are deleted as in production.
//
//   node --import tsx bench/spool.ts [--seconds 1.5] [--dir /path/on/the/disk/to/measure]
//
// Prints a table, writes bench-output/spool.json. The figures are the disk's: run it on the
// volume that will hold QINGYUN_DATA_DIR.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { openSpool } from '../store/spool.ts'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '1.5' },
    dir: { type: 'string' },
    out: { type: 'string', default: 'bench-output' }
  }
})
const seconds = Number(values.seconds)
const root = await mkdtemp(path.join(values.dir ?? os.tmpdir(), 'qingyun-spool-bench-'))

interface Result {
  recordBytes: number
  appenders: number
  appends: number
  appendsPerSec: number
  mbPerSec: number
  fsyncs: number
  fsyncsPerSec: number
  recordsPerFsync: number
  fsyncP50Ms: number
  fsyncP99Ms: number
}

async function run(recordBytes: number, appenders: number): Promise<Result> {
  const dir = path.join(root, `${recordBytes}-${appenders}`)
  const spool = await openSpool({ dir, maxBytes: 256 * 1024 * 1024, segmentBytes: 16 * 1024 * 1024 })
  const payload = Buffer.alloc(recordBytes, 0x61)
  let appends = 0
  let stop = false
  const t0 = performance.now()
  const deadline = t0 + seconds * 1000
  const appender = async (): Promise<void> => {
    while (!stop) {
      await spool.append([payload])
      appends++
      if (performance.now() >= deadline) stop = true
    }
  }
  const forwarder = async (): Promise<void> => {
    while (!stop) {
      await new Promise((r) => setTimeout(r, 100))
      const { appendedSeq } = spool.stats()
      if (appendedSeq > 0) await spool.commit(appendedSeq)
    }
  }
  await Promise.all([...Array.from({ length: appenders }, appender), forwarder()])
  const secs = (performance.now() - t0) / 1000
  const { fsync } = spool.stats()
  await spool.close()
  await rm(dir, { recursive: true, force: true })
  return {
    recordBytes,
    appenders,
    appends,
    appendsPerSec: Math.round(appends / secs),
    mbPerSec: Number(((appends * recordBytes) / secs / 1e6).toFixed(2)),
    fsyncs: fsync.count,
    fsyncsPerSec: Math.round(fsync.count / secs),
    recordsPerFsync: Number((appends / Math.max(1, fsync.count)).toFixed(1)),
    fsyncP50Ms: Number(fsync.p50Ms.toFixed(3)),
    fsyncP99Ms: Number(fsync.p99Ms.toFixed(3))
  }
}

const results: Result[] = []
try {
  for (const recordBytes of [70, 1024]) {
    for (const appenders of [1, 50, 500]) results.push(await run(recordBytes, appenders))
  }
} finally {
  await rm(root, { recursive: true, force: true })
}
console.table(results)
console.log('fsync p50/p99 are log2-bucket upper bounds (capped at the max seen)')
await mkdir(values.out, { recursive: true })
const file = path.join(values.out, 'spool.json')
await writeFile(
  file,
  JSON.stringify(
    {
      at: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      dir: values.dir ?? os.tmpdir(),
      args: values,
      results
    },
    null,
    2
  ) + '\n'
)
console.log(`wrote ${file}`)
