// Probes for bench/drain.ts, all from the outside of the node (nothing in broker/ or ingest/ is
// changed to be measured): a recording pass-through proxy in front of InfluxDB, and wrappers on
// aedes' hooks for the ack latency and the packets aedes parses per socket chunk.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Aedes, Client } from 'aedes'

export interface Probe {
  /** The writer's "retrying" log lines: when, and the backoff it chose. */
  retries: { at: number; delayMs: number; attempt: number; reason: string }[]
  /** One entry per chunk aedes parsed from a client's socket. */
  chunks: { at: number; client: string; packets: number }[]
  /** authorizePublish call → done: how long the PUBACK waited (the ack latency L). */
  acks: { at: number; ms: number }[]
  keepaliveTimeouts: number
  clientDisconnects: number
}

export interface ProxyEntry {
  start: number
  end?: number
  lines: number
  status?: number
  path: string
  clientGone?: boolean
}

export function instrumentBroker(aedes: Aedes, probe: Probe): void {
  const original = aedes.authorizePublish.bind(aedes)
  aedes.authorizePublish = (client, packet, done) => {
    const t0 = performance.now()
    original(client, packet, (err) => {
      probe.acks.push({ at: Date.now(), ms: performance.now() - t0 })
      done(err)
    })
  }
  aedes.on('keepaliveTimeout', () => {
    probe.keepaliveTimeouts++
  })
  aedes.on('clientDisconnect', () => {
    probe.clientDisconnects++
  })
  aedes.on('client', (client: Client) => {
    // aedes parses what one socket read returned, dispatches every packet of it, and reads again
    // only when all of them are handled (lib/client.js, nextBatch/_parsingBatch).
    const parser = (client as unknown as { _parser: { parse(b: Buffer): unknown; on(e: string, f: () => void): void } })
      ._parser
    let n = 0
    parser.on('packet', () => {
      n++
    })
    const parse = parser.parse.bind(parser)
    parser.parse = (b: Buffer) => {
      n = 0
      const r = parse(b)
      if (n > 0) probe.chunks.push({ at: Date.now(), client: client.id, packets: n })
      return r
    }
  })
}

/** A pass-through HTTP proxy that records every request and can hold them all (a frozen InfluxDB). */
export async function startRecordingProxy(target: string) {
  const up = new URL(target)
  const agent = new http.Agent({ keepAlive: true })
  const log: ProxyEntry[] = []
  let held: (() => void)[] | undefined
  let down = false
  const server = http.createServer((req, res) => {
    if (down) {
      // InfluxDB down or restarting: the connection is dropped, nothing is stored.
      log.push({ start: Date.now(), end: Date.now(), lines: 0, status: 0, path: req.url ?? '/' })
      req.socket.destroy()
      return
    }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const path = req.url ?? '/'
      const entry: ProxyEntry = {
        start: Date.now(),
        lines: path.startsWith('/write') ? body.toString().split('\n').length : 0,
        path
      }
      log.push(entry)
      res.on('close', () => {
        if (!res.writableFinished) entry.clientGone = true
      })
      const forward = (): void => {
        const headers = { ...req.headers, 'content-length': String(body.length) }
        const ureq = http.request(
          { host: up.hostname, port: up.port, path, method: req.method, headers, agent },
          (ures) => {
            const out: Buffer[] = []
            ures.on('data', (c: Buffer) => out.push(c))
            ures.on('end', () => {
              entry.end = Date.now()
              entry.status = ures.statusCode ?? 0
              if (!res.destroyed) res.writeHead(ures.statusCode ?? 502, ures.headers).end(Buffer.concat(out))
            })
          }
        )
        ureq.on('error', (err) => {
          entry.end = Date.now()
          entry.status = 0
          if (!res.destroyed) res.writeHead(502).end(String(err))
        })
        ureq.end(body)
      }
      if (held === undefined) forward()
      else held.push(forward)
    })
  })
  server.listen(0, '127.0.0.1')
  await new Promise((r) => server.once('listening', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    hold: () => {
      held ??= []
    },
    down: () => {
      down = true
    },
    release: () => {
      down = false
      const h = held ?? []
      held = undefined
      for (const f of h) f()
    },
    close: async () => {
      server.closeAllConnections()
      agent.destroy()
      await new Promise((r) => server.close(r))
    }
  }
}

const q = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((x, y) => x - y)
  return Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]!)
}

/** One table row's worth of probe data for [from, to). */
export function summarise(probe: Probe, log: readonly ProxyEntry[], from: number, to: number): Record<string, number> {
  const inWin = (t: number): boolean => t >= from && t < to
  const writes = log.filter((e) => e.path.startsWith('/write') && inWin(e.start))
  const done = writes.filter((e) => e.end !== undefined)
  const open = (t: number): number =>
    log.filter((e) => e.path.startsWith('/write') && e.start <= t && (e.end ?? Infinity) > t).length
  const retries = probe.retries.filter((r) => inWin(r.at))
  const acks = probe.acks.filter((x) => inWin(x.at)).map((x) => x.ms)
  const chunks = probe.chunks.filter((c) => inWin(c.at) && !c.client.startsWith('fill-single'))
  return {
    writes: writes.length,
    linesPerWrite: writes.length === 0 ? 0 : Math.round(writes.reduce((s, e) => s + e.lines, 0) / writes.length),
    maxLines: Math.max(0, ...writes.map((e) => e.lines)),
    writeP50Ms: q(
      done.map((e) => e.end! - e.start),
      0.5
    ),
    writeMaxMs: q(
      done.map((e) => e.end! - e.start),
      1
    ),
    maxOpenWrites: Math.max(0, ...writes.map((e) => open(e.start))),
    retries: retries.length,
    retrySleepMaxMs: Math.max(0, ...retries.map((r) => r.delayMs)),
    ackP50Ms: q(acks, 0.5),
    ackP99Ms: q(acks, 0.99),
    pktsPerChunk: chunks.length === 0 ? 0 : +(chunks.reduce((s, c) => s + c.packets, 0) / chunks.length).toFixed(1)
  }
}
