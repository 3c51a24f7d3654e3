// Runs influxd for influx/local.ts and ends it when the node that started it is gone.
// Linux would do this with prctl(PR_SET_PDEATHSIG), which Node cannot call; instead the node
// holds the write end of this process's stdin, and the kernel closes it however the node ends
// (exit, crash, kill -9). EOF on stdin therefore means "parent gone": SIGTERM influxd (a clean
// shutdown), SIGKILL after the grace period. The node's own stop() ends stdin the same way.
//
// usage: node supervisor.mjs KILL_AFTER_MS INFLUXD ARGS…
// fd 3 (a pipe from the node) receives one line, "pid N", once influxd is spawned.
// Exits with influxd's exit code (128 + signal number when a signal ended it).
/* global process, setTimeout */
import { spawn } from 'node:child_process'
import { closeSync, writeSync } from 'node:fs'
import { constants } from 'node:os'

const [killAfterArg, exe, ...args] = process.argv.slice(2)
const killAfterMs = Number(killAfterArg)
if (!exe || !(killAfterMs > 0)) {
  process.stderr.write('usage: supervisor.mjs KILL_AFTER_MS INFLUXD ARGS…\n')
  process.exit(2)
}

// stdin 'ignore': influxd must not hold the pipe, or its EOF would never come.
const child = spawn(exe, args, { stdio: ['ignore', 'inherit', 'inherit'] })
child.once('error', (err) => {
  process.stderr.write(`cannot start ${exe}: ${err.message}\n`)
  process.exit(127)
})
if (child.pid !== undefined) {
  try {
    writeSync(3, `pid ${child.pid}\n`)
    closeSync(3)
  } catch {
    // fd 3 is a convenience for the node; without it the supervisor still does its job.
  }
}

let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  child.kill('SIGTERM')
  setTimeout(() => child.kill('SIGKILL'), killAfterMs).unref()
}
process.stdin.on('end', stop)
process.stdin.on('close', stop)
process.stdin.on('error', stop)
process.stdin.resume()
process.on('SIGTERM', stop)
// The supervisor has its own process group; a stray SIGINT/SIGHUP must not orphan influxd.
process.on('SIGINT', () => {})
process.on('SIGHUP', () => {})

child.once('exit', (code, signal) => {
  process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0))
})
