// A small client for InfluxDB's v1-compatible HTTP API (docs/architecture.md, decision 2): line protocol to
// POST /write, InfluxQL to /query, GET /ping. InfluxDB 1.x serves it natively, 2.x and 3.x as
// compatibility endpoints, so one client talks to all of them. Every call has a timeout
// (AbortSignal.timeout), as every network call must.
import type { Log } from '../lib/log.ts'
import { InfluxHttpError, InfluxNetworkError, InfluxQueryError, InfluxTimeoutError } from './errors.ts'

export type InfluxAuth = { readonly token: string } | { readonly username: string; readonly password: string }

export interface InfluxClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8086. Credentials in the URL are used as Basic auth and
   *  removed from it (fetch refuses URLs with credentials; logs must not show them). */
  readonly url: string
  readonly db: string
  readonly rp?: string
  readonly auth?: InfluxAuth
  /** Writes (and the default for the others); default 10 s. */
  readonly timeoutMs?: number
  /** Queries, unless a query names its own; default timeoutMs if given, else 2 s. A frozen InfluxDB (a peer that accepts
   *  and never answers) must turn into a fast 503 for a reader, not a 10 s wait. */
  readonly queryTimeoutMs?: number
  /** The readiness ping; default 1 s (or timeoutMs if shorter) (a probe that waits longer than its prober is useless). */
  readonly pingTimeoutMs?: number
  readonly fetch?: typeof fetch
  readonly log?: Log
  /** Clock for Retry-After HTTP-dates; defaults to Date.now. */
  readonly now?: () => number
}

export interface WriteResult {
  readonly status: number
  readonly body: string
  /** From Retry-After (delta-seconds or HTTP-date), when the server sent one. */
  readonly retryAfterMs?: number
}

export interface InfluxSeries {
  readonly name?: string
  readonly tags?: Readonly<Record<string, string>>
  readonly columns: readonly string[]
  readonly values?: readonly (readonly unknown[])[]
}

export interface InfluxResult {
  readonly statement_id?: number
  readonly series?: readonly InfluxSeries[]
  readonly error?: string
  readonly messages?: readonly { readonly level: string; readonly text: string }[]
}

export type Epoch = 'ns' | 'u' | 'µ' | 'ms' | 's' | 'm' | 'h'

export interface QueryOptions {
  /** Bind parameters for `$name` placeholders (sent as the `params` JSON object). */
  readonly params?: Readonly<Record<string, string | number | boolean>>
  /** Timestamps as epoch numbers in this unit instead of RFC3339 strings. */
  readonly epoch?: Epoch
  /** Another database than the client's. */
  readonly db?: string
  /** This query's timeout instead of the client's queryTimeoutMs (e.g. a long rebuild read). */
  readonly timeoutMs?: number
}

export interface InfluxClient {
  /** The base URL without credentials (safe to log). */
  readonly url: string
  readonly db: string
  /** POST /write?db=&precision=ns[&rp=]. Never throws for an HTTP status; throws
   *  InfluxNetworkError / InfluxTimeoutError when no answer arrives. */
  write(body: string): Promise<WriteResult>
  /** InfluxQL over POST /query. Throws InfluxQueryError with InfluxDB's text on any `error`. */
  query(q: string, opts?: QueryOptions): Promise<InfluxResult[]>
  /** GET /ping: true when the server answers 204 (1.x, 2.x) or 200 (3.x). False otherwise,
   *  including when nothing answers — it is a readiness probe. */
  ping(): Promise<boolean>
  /** CREATE DATABASE "db". 2.x/3.x (and 1.x users without admin rights) refuse it; that is logged
   *  at debug and treated as "exists or is managed elsewhere". Resolves true if it was accepted. */
  ensureDatabase(): Promise<boolean>
}

/** Quotes an InfluxQL identifier (database, measurement...). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}

/** Quotes an InfluxQL string literal. Prefer bind parameters where the server supports them. */
export function quoteString(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`
}

/** Every series of a statement result as plain objects: columns → values, plus the series' tags
 *  (GROUP BY) and `name` under the key `_measurement` when there is more than one series name. */
export function rows(result: InfluxResult | undefined): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = []
  const series = result?.series ?? []
  const names = new Set(series.map((s) => s.name))
  for (const s of series) {
    for (const values of s.values ?? []) {
      const row: Record<string, unknown> = {}
      if (names.size > 1 && s.name !== undefined) row._measurement = s.name
      if (s.tags) Object.assign(row, s.tags)
      s.columns.forEach((c, i) => {
        row[c] = values[i]
      })
      out.push(row)
    }
  }
  return out
}

/** Retry-After is delta-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined
  const v = value.trim()
  if (/^\d+$/.test(v)) return Number(v) * 1000
  // Date.parse also takes things like "-5"; an HTTP-date always names a weekday and month.
  if (!/[a-z]{3}/i.test(v)) return undefined
  const at = Date.parse(v)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, at - now)
}

function authHeader(auth: InfluxAuth | undefined): string | undefined {
  if (auth === undefined) return undefined
  if ('token' in auth) return `Token ${auth.token}`
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`
}

function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined
  const detail =
    typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined
  return detail ? `${err.message} (${detail})` : err.message
}

const noopLog: Log = { debug() {}, info() {}, warn() {}, error() {} }

export function createInfluxClient(opts: InfluxClientOptions): InfluxClient {
  const { db, rp, timeoutMs = 10_000, log = noopLog, now = Date.now } = opts
  // An explicit timeoutMs alone keeps applying to every call, as it always did.
  const queryTimeoutMs = opts.queryTimeoutMs ?? opts.timeoutMs ?? 2_000
  const pingTimeoutMs = opts.pingTimeoutMs ?? Math.min(opts.timeoutMs ?? 1_000, 1_000)
  const fetchImpl = opts.fetch ?? globalThis.fetch
  const parsed = new URL(opts.url)
  let auth = opts.auth
  if (auth === undefined && parsed.username !== '') {
    auth = { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }
  }
  parsed.username = ''
  parsed.password = ''
  const base = parsed.toString().replace(/\/+$/, '')
  const authorization = authHeader(auth)

  async function request(
    op: string,
    path: string,
    init: RequestInit,
    ms = timeoutMs
  ): Promise<{ status: number; headers: Headers; body: string }> {
    const signal = AbortSignal.timeout(ms)
    const headers = new Headers(init.headers)
    if (authorization !== undefined) headers.set('Authorization', authorization)
    try {
      const res = await fetchImpl(`${base}${path}`, { ...init, headers, signal })
      // Reading the body is under the same signal: a server that stalls mid-body also times out.
      const body = await res.text()
      return { status: res.status, headers: res.headers, body }
    } catch (err) {
      if (signal.aborted || (err instanceof Error && err.name === 'TimeoutError')) {
        throw new InfluxTimeoutError(`influx ${op} timed out after ${ms} ms (${base})`, { cause: err })
      }
      throw new InfluxNetworkError(`influx ${op} failed: ${describeCause(err)} (${base})`, { cause: err })
    }
  }

  async function write(body: string): Promise<WriteResult> {
    const qs = new URLSearchParams({ db, precision: 'ns' })
    if (rp !== undefined) qs.set('rp', rp)
    const res = await request('write', `/write?${qs}`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body
    })
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), now())
    return retryAfterMs === undefined
      ? { status: res.status, body: res.body }
      : { status: res.status, body: res.body, retryAfterMs }
  }

  async function query(q: string, qopts: QueryOptions = {}): Promise<InfluxResult[]> {
    const qs = new URLSearchParams({ db: qopts.db ?? db })
    if (rp !== undefined && qopts.db === undefined) qs.set('rp', rp)
    if (qopts.epoch !== undefined) qs.set('epoch', qopts.epoch)
    if (qopts.params !== undefined) qs.set('params', JSON.stringify(qopts.params))
    // Always POST with a form body: 1.x requires POST for statements that change things
    // (CREATE/DROP), it serves SELECT/SHOW over POST too, and a long query never meets a URL
    // length limit. 2.x and 3.x accept the same form.
    const res = await request(
      'query',
      `/query?${qs}`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ q }).toString()
      },
      qopts.timeoutMs ?? queryTimeoutMs
    )
    let json: { results?: InfluxResult[]; error?: string } | undefined
    try {
      json = JSON.parse(res.body) as typeof json
    } catch {
      json = undefined
    }
    if (json === undefined || typeof json !== 'object' || json === null) {
      throw new InfluxHttpError(
        res.status,
        `influx query answered HTTP ${res.status} without JSON: ${res.body.slice(0, 200)}`
      )
    }
    if (typeof json.error === 'string') throw new InfluxQueryError(json.error, res.status)
    if (res.status < 200 || res.status > 299) {
      throw new InfluxHttpError(res.status, `influx query answered HTTP ${res.status}: ${res.body.slice(0, 200)}`)
    }
    const results = json.results ?? []
    for (const r of results) {
      if (typeof r.error === 'string') throw new InfluxQueryError(r.error, res.status, r.statement_id)
    }
    return results
  }

  async function ping(): Promise<boolean> {
    try {
      const res = await request('ping', '/ping', { method: 'GET' }, pingTimeoutMs)
      return res.status === 204 || res.status === 200
    } catch {
      return false
    }
  }

  async function ensureDatabase(): Promise<boolean> {
    try {
      await query(`CREATE DATABASE ${quoteIdent(db)}`)
      return true
    } catch (err) {
      if (err instanceof InfluxNetworkError) throw err
      log.debug({ db, err: (err as Error).message }, 'influx create database refused; assuming it is managed elsewhere')
      return false
    }
  }

  return { url: base, db, write, query, ping, ensureDatabase }
}
