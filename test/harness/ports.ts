import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

// Ports for servers a test starts, restarts and connects to. A port from `listen(0)` lies in
// the kernel's ephemeral range, the same range outgoing connections take their local port
// from: once the server on it stops (a node killed mid-test), any of the run's many outgoing
// connections may take the port, and starting the server again fails with EADDRINUSE. So
// these ports come from below the ephemeral range, where no outgoing connection lands, and
// each vitest worker draws from its own slice so that two workers never pick the same one.

const FLOOR = 10_000
const SLICES = 8

function ephemeralFloor(): number {
  try {
    const lo = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
    if (Number.isInteger(lo) && lo > FLOOR + SLICES * 100) return lo
  } catch {
    // not Linux: IANA's dynamic range starts at 49152
  }
  return 49_152
}

const ceiling = ephemeralFloor()
const sliceSize = Math.floor((ceiling - FLOOR) / SLICES)
const pool = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? 0)
const sliceStart = FLOOR + (pool % SLICES) * sliceSize
let next = Math.floor(Math.random() * sliceSize)

function listens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)))
  })
}

/** A free port on 127.0.0.1, outside the ephemeral range and this worker's own. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < sliceSize; tries++) {
    const port = sliceStart + (next++ % sliceSize)
    if (await listens(port)) return port
  }
  throw new Error(`no free port in ${sliceStart}..${sliceStart + sliceSize - 1}`)
}
