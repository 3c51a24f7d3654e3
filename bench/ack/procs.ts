// Processes of bench:ack: every child is tracked from spawn to stop, each in its own process
// group (so a Ctrl-C on the terminal reaches only the benchmark, which then stops them in
// order), with a bounded SIGTERM → SIGKILL escalation. Also free ports and peak RSS.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export interface Procs {
  spawn(name: string, cmd: string, args: string[], opts: SpawnOptions & { stopGraceMs?: number }): ChildProcess
  /** A process a child started on its own (e.g. qingyun's influxd): stopped after the children. */
  adopt(name: string, pid: number): void
  stopAll(): Promise<void>
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; await sleep(50)) if (!alive(pid)) return true
  return !alive(pid)
}

function signal(pid: number, sig: NodeJS.Signals, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, sig)
  } catch {
    // already gone
  }
}

export function createProcs(log: (msg: string) => void): Procs {
  const children: Array<{ name: string; child: ChildProcess; graceMs: number }> = []
  const adopted: Array<{ name: string; pid: number }> = []
  const stopOne = async (name: string, pid: number, group: boolean, graceMs: number): Promise<void> => {
    if (!alive(pid)) return
    signal(pid, 'SIGTERM', group)
    if (await waitGone(pid, graceMs)) return
    log(`${name} (pid ${pid}) did not stop within ${graceMs} ms; SIGKILL`)
    signal(pid, 'SIGKILL', group)
    await waitGone(pid, 2000)
  }
  return {
    spawn(name, cmd, args, opts) {
      const child = spawn(cmd, args, { ...opts, detached: true })
      child.once('error', (err) => log(`${name}: ${err.message}`))
      // A child that failed to spawn has no pid and nothing to stop.
      if (child.pid !== undefined) children.push({ name, child, graceMs: opts.stopGraceMs ?? 5000 })
      return child
    },
    adopt(name, pid) {
      adopted.push({ name, pid })
    },
    async stopAll() {
      for (const { name, child, graceMs } of children.splice(0).reverse()) {
        if (child.exitCode === null && child.signalCode === null) await stopOne(name, child.pid!, true, graceMs)
      }
      for (const { name, pid } of adopted.splice(0)) await stopOne(name, pid, false, 10_000)
    }
  }
}

/** Binds port 0 and releases it: racy, so callers retry when the port turns out to be taken. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address()
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0))
    })
  })
}

export async function waitForPort(port: number, ms: number, stillUp: () => boolean): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until && stillUp(); await sleep(100)) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1')
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) return true
  }
  return false
}

/** Peak resident set size (VmHWM) in MiB; NaN when the process is gone or /proc is absent. */
export function peakRssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : NaN
  } catch {
    return NaN
  }
}

/** The pid of a child of `ppid` with this command name, from /proc. */
/** A descendant of `ppid` named `comm` (the embedded influxd runs under a small supervisor). */
export function findChild(ppid: number, comm: string, depth = 3): number | undefined {
  const children: Array<{ pid: number; name: string }> = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // pid (comm) state ppid ...; comm may hold spaces, so split after the last ')'.
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (parent === ppid) children.push({ pid: Number(entry), name })
    } catch {
      // gone meanwhile
    }
  }
  const hit = children.find((c) => c.name === comm)
  if (hit || depth <= 1) return hit?.pid
  for (const c of children) {
    const found = findChild(c.pid, comm, depth - 1)
    if (found !== undefined) return found
  }
  return undefined
}
