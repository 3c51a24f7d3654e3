// A fault-injecting HTTP proxy on 127.0.0.1 in front of a real InfluxDB: the one test double the
// conventions allow, at the boundary, to produce faults the real server cannot be made to produce
// on cue (503, 429 + Retry-After, a dropped connection, a lost response, a slow answer).
// Requests without a scripted fault are forwarded untouched.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Fault =
  /** Answer with this status instead of forwarding. */
  | { readonly kind: 'status'; readonly status: number; readonly body?: string; readonly retryAfter?: string }
  /** Close the connection without answering; nothing reaches InfluxDB. */
  | { readonly kind: 'drop' }
  /** Forward, let InfluxDB store it, then close the connection instead of answering. */
  | { readonly kind: 'lose-response' }
  /** Wait, then forward (longer than the client's timeout: the write lands after it gave up). */
  | { readonly kind: 'delay'; readonly ms: number }

export interface ProxiedRequest {
  readonly method: string
  readonly path: string
  readonly headers: IncomingMessage['headers']
  readonly fault?: Fault['kind']
}

export interface FaultProxy {
  readonly url: string
  /** Queue `fault` for the next `times` requests whose path starts with `pathPrefix` (default /write). */
  inject(fault: Fault, opts?: { times?: number; pathPrefix?: string }): void
  readonly requests: readonly ProxiedRequest[]
  /** Faults still queued. */
  queued(): number
  /** Drop every queued fault: requests are forwarded untouched again. */
  clear(): void
  close(): Promise<void>
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'])

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const base = target.replace(/\/+$/, '')
  const queue: { fault: Fault; pathPrefix: string }[] = []
  const requests: ProxiedRequest[] = []
  const timers = new Set<NodeJS.Timeout>()

  async function forward(
    req: IncomingMessage,
    body: Buffer
  ): Promise<{ status: number; headers: Headers; body: Buffer }> {
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = Array.isArray(v) ? v.join(', ') : v
    }
    const init: RequestInit = { method: req.method ?? 'GET', headers, signal: AbortSignal.timeout(30_000) }
    if (body.length > 0) init.body = body
    const res = await fetch(`${base}${req.url ?? '/'}`, init)
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) }
  }

  function reply(res: ServerResponse, up: { status: number; headers: Headers; body: Buffer }): void {
    const headers: Record<string, string> = {}
    up.headers.forEach((v, k) => {
      if (!HOP_BY_HOP.has(k) && k !== 'content-encoding') headers[k] = v
    })
    res.writeHead(up.status, headers).end(up.body)
  }

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req)
      const path = req.url ?? '/'
      const i = queue.findIndex((q) => path.startsWith(q.pathPrefix))
      const fault = i >= 0 ? queue.splice(i, 1)[0]!.fault : undefined
      requests.push(
        fault === undefined
          ? { method: req.method ?? '', path, headers: req.headers }
          : { method: req.method ?? '', path, headers: req.headers, fault: fault.kind }
      )
      try {
        switch (fault?.kind) {
          case 'status': {
            const headers: Record<string, string> = { 'Content-Type': 'application/json' }
            if (fault.retryAfter !== undefined) headers['Retry-After'] = fault.retryAfter
            res
              .writeHead(fault.status, headers)
              .end(fault.body ?? JSON.stringify({ error: `injected ${fault.status}` }))
            return
          }
          case 'drop':
            req.socket.destroy()
            return
          case 'lose-response':
            await forward(req, body)
            req.socket.destroy()
            return
          case 'delay':
            await new Promise<void>((resolve) => {
              const t = setTimeout(() => {
                timers.delete(t)
                resolve()
              }, fault.ms)
              timers.add(t)
            })
            reply(res, await forward(req, body))
            return
          case undefined:
            reply(res, await forward(req, body))
        }
      } catch (err) {
        if (!res.headersSent && !res.destroyed) res.writeHead(502).end(String(err))
      }
    })()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    inject(fault, opts = {}) {
      const { times = 1, pathPrefix = '/write' } = opts
      for (let i = 0; i < times; i++) queue.push({ fault, pathPrefix })
    },
    queued: () => queue.length,
    clear: () => void queue.splice(0),
    close: async () => {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
