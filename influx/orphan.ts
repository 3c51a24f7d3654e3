// The embedded influxd's pidfile, and the clean-up of an influxd left behind by a node that was
// killed before it could stop it. Two influxd processes on one data directory would both write
// its WAL and shards, so a start first makes sure no earlier one is still running there.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Log } from '../lib/log.ts'
import { asIdentity, isRunning, readJsonFile, type ProcessIdentity } from '../lib/procfile.ts'

export const PIDFILE = 'influxd.pid.json'

export interface InfluxdPidfile extends ProcessIdentity {
  readonly url: string
  readonly configPath: string
  readonly supervisorPid: number | undefined
  readonly startedAt: string
}

export async function writePidfile(dataDir: string, content: InfluxdPidfile): Promise<void> {
  await writeFile(join(dataDir, PIDFILE), `${JSON.stringify(content)}\n`, { mode: 0o600 })
}

/** Removes the pidfile only when it still names `pid` (a newer influxd may have replaced it). */
export async function removePidfile(dataDir: string, pid: number): Promise<void> {
  const cur = asIdentity(await readJsonFile(join(dataDir, PIDFILE)))
  if (cur === undefined || cur.pid === pid) await rm(join(dataDir, PIDFILE), { force: true })
}

/** Pids of running processes whose command line is `… -config <configPath>` (influxd's own). */
async function influxdsUsing(configPath: string): Promise<ProcessIdentity[]> {
  let entries: string[]
  try {
    entries = await readdir('/proc')
  } catch {
    return []
  }
  const found: ProcessIdentity[] = []
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue
    try {
      const argv = (await readFile(`/proc/${e}/cmdline`, 'utf8')).split('\0')
      const i = argv.indexOf('-config')
      if (i > 0 && argv[i + 1] === configPath && /influxd$/.test(argv[0] ?? '')) {
        const stat = await readFile(`/proc/${e}/stat`, 'utf8')
        found.push({ pid: Number(e), startTime: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] })
      }
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function waitGone(id: ProcessIdentity, ms: number): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; await sleep(50)) {
    if (!isRunning(id)) return true
  }
  return !isRunning(id)
}

function signal(id: ProcessIdentity, sig: NodeJS.Signals): void {
  // Checked just before signalling, so a recycled pid is never signalled.
  if (!isRunning(id)) return
  try {
    process.kill(id.pid, sig)
  } catch {
    // exited meanwhile
  }
}

/**
 * Stops any influxd still running on this data directory: the one the pidfile names (pid + start
 * time, so a recycled pid is left alone) and any process running influxd with this directory's
 * config file. SIGTERM first (influxd closes its WAL cleanly), SIGKILL after `killAfterMs`.
 * Returns the pids it stopped.
 */
export async function stopOrphanedInfluxd(o: {
  dataDir: string
  configPath: string
  log: Log
  killAfterMs: number
}): Promise<number[]> {
  const recorded = asIdentity(await readJsonFile(join(o.dataDir, PIDFILE)))
  const candidates = await influxdsUsing(o.configPath)
  if (recorded !== undefined && isRunning(recorded) && !candidates.some((c) => c.pid === recorded.pid)) {
    const cmd = await readFile(`/proc/${recorded.pid}/cmdline`, 'utf8').catch(() => '')
    // The pidfile is ours, but only an influxd is ours to stop.
    if (cmd.split('\0')[0]?.endsWith('influxd')) candidates.push(recorded)
  }
  for (const id of candidates) {
    o.log.warn(
      { pid: id.pid, dataDir: o.dataDir },
      'an influxd from an earlier run still uses this data dir; stopping it'
    )
    signal(id, 'SIGTERM')
    if (!(await waitGone(id, o.killAfterMs))) {
      signal(id, 'SIGKILL')
      await waitGone(id, 5_000)
    }
  }
  await rm(join(o.dataDir, PIDFILE), { force: true })
  return candidates.map((c) => c.pid)
}
