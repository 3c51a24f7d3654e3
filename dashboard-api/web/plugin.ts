// The operations centre web page: the Vue app as Vite built it into ./dist (docs/web.md), and
// the Wuxi district outlines, all from this server — nothing is fetched from the internet at
// run time, so the page works on an isolated operations network.
//
// The set of files is small and fixed, so it is read once at registration and kept in memory
// with a gzip copy and a content hash: every response is one buffer write, ETag revalidation
// answers 304 without touching the disk. Files under assets/ carry a content hash in their
// names, so they are cached for a year as immutable; index.html (which names them) is
// revalidated on every load. Routes are registered per file (no wildcard), so an unknown path
// still reaches the app's not-found handler and the API's JSON 404s are unchanged. The page's
// data all comes from /api/v1 with the operator's bearer token; these files carry nothing
// secret and are public.
//
// Without a build (dist/ missing) the page's routes answer 503 saying how to build it, and the
// API keeps working: `npm start` and `npm test` build it first (scripts/ensure.sh).
import { createHash } from 'node:crypto'
import { readFile, readdir } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

export interface WebOptions {
  /** The local time zone of the city (QINGYUN_TZ); the page shows times in it. */
  readonly tz?: string
  /** Directory of the built page (index.html, assets/); default ./dist beside this module. */
  readonly root?: string
}

const HERE = path.dirname(fileURLToPath(import.meta.url))
export const WEB_ROOT = path.join(HERE, 'dist')
export const DISTRICTS_PATH = path.join(HERE, '..', '..', 'registry', 'sample', 'wuxi-districts.json')

/**
 * Self only: no inline script or style, no eval, no third-party origin; 'self' in connect-src
 * also covers ws:/wss: to this host (CSP Level 3). ECharts draws on canvas and styles its DOM
 * through the CSSOM (element.style), which style-src does not restrict — and so does Vue for a
 * :style binding; the page's tooltips are plain text for the same reason (an inline style=""
 * inside tooltip HTML would be refused). Vite's production output has no inline script, and
 * Vue's runtime-only build needs no eval (templates are compiled at build time).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'"
].join('; ')

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon'
}

// index.html and unhashed files change with a deploy under the same name: revalidate every
// time (a 304 is cheap). Hashed names change whenever their content does. Data files change
// only with a data update.
const CACHE_APP = 'no-cache'
const CACHE_HASHED = 'public, max-age=31536000, immutable'
const CACHE_DATA = 'public, max-age=86400'
/** Vite's output names under assets/: name-<hash>.ext. */
const HASHED = /^\/assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/

export const NOT_BUILT =
  'The operations page has not been built: run `npm run build` (npm start and npm test build it when it is missing).\n'

interface Asset {
  readonly body: Buffer
  readonly gzip: Buffer | undefined
  readonly type: string
  readonly etag: string
  readonly cache: string
}

function asset(body: Buffer, file: string, cache: string): Asset {
  const type = TYPES[path.extname(file)] ?? 'application/octet-stream'
  const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 1024
  const gzip = compressible ? gzipSync(body, { level: 9 }) : undefined
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
  return { body, gzip, type, etag, cache }
}

async function walk(dir: string, base = dir): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...(await walk(full, base)))
    else if (e.isFile() && !e.name.startsWith('.')) out.push(path.relative(base, full).split(path.sep).join('/'))
  }
  return out
}

const acceptsGzip = (req: FastifyRequest): boolean => /\bgzip\b/i.test(String(req.headers['accept-encoding'] ?? ''))

function send(req: FastifyRequest, reply: FastifyReply, a: Asset): FastifyReply {
  reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cache-control', a.cache)
    .header('etag', a.etag)
    .header('vary', 'Accept-Encoding')
  const inm = req.headers['if-none-match']
  if (inm !== undefined && inm.split(',').some((t) => t.trim() === a.etag || t.trim() === `W/${a.etag}`))
    return reply.code(304).send()
  reply.type(a.type)
  if (a.gzip && acceptsGzip(req)) return reply.header('content-encoding', 'gzip').send(a.gzip)
  return reply.send(a.body)
}

/**
 * Reads the built page into memory, keyed by URL path; `built` is false when there is no
 * build (then only the data and config files are there).
 */
export async function loadWebAssets(opts: WebOptions = {}): Promise<{ assets: Map<string, Asset>; built: boolean }> {
  const root = opts.root ?? WEB_ROOT
  const assets = new Map<string, Asset>()
  const built = existsSync(path.join(root, 'index.html'))
  if (built) {
    for (const rel of await walk(root)) {
      const url = `/${rel}`
      assets.set(url, asset(await readFile(path.join(root, rel)), rel, HASHED.test(url) ? CACHE_HASHED : CACHE_APP))
    }
    assets.set('/', assets.get('/index.html')!)
  }
  assets.set('/data/wuxi-districts.json', asset(await readFile(DISTRICTS_PATH), DISTRICTS_PATH, CACHE_DATA))
  const config = { tz: opts.tz ?? 'Asia/Shanghai' }
  assets.set('/config.json', asset(Buffer.from(JSON.stringify(config)), 'config.json', CACHE_APP))
  return { assets, built }
}

/**
 * Serves the operations centre page at `/`. Call on the root instance, e.g.
 * `await registerWeb(app, { tz: config.tz })`; its routes are public and outside /api/v1.
 */
export async function registerWeb(app: FastifyInstance, opts: WebOptions = {}): Promise<void> {
  const { assets, built } = await loadWebAssets(opts)
  if (!built) app.log.warn({ root: opts.root ?? WEB_ROOT }, 'web page not built')
  await app.register(async (web) => {
    for (const [url, a] of assets) {
      web.get(url, { schema: { hide: true } }, async (req, reply) => send(req, reply, a))
    }
    if (!built) {
      for (const url of ['/', '/index.html']) {
        web.get(url, { schema: { hide: true } }, async (_req, reply) =>
          reply.code(503).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(NOT_BUILT)
        )
      }
    }
  })
}
