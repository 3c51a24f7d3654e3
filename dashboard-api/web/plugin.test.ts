import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONTENT_SECURITY_POLICY, NOT_BUILT, registerWeb } from './plugin.ts'

// The page's static serving through a real Fastify (inject): headers, gzip, revalidation,
// immutable caching of hashed names, the 503 without a build, and that nothing but the page's
// own files is reachable. The served files are a small build of the same shape as Vite's
// (index.html naming hashed files under assets/), written here, so this test does not depend
// on a build having run.

let root: string
let empty: string
const ENTRY = '/assets/index-AbCdEf12.js'
const CHUNK = '/assets/echarts-Zx_9-y8W.js'

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'qingyun-web-dist-'))
  empty = await mkdtemp(path.join(os.tmpdir(), 'qingyun-web-none-'))
  await mkdir(path.join(root, 'assets'))
  await writeFile(
    path.join(root, 'index.html'),
    `<!doctype html><html><head><script type="module" crossorigin src="${ENTRY}"></script></head><body></body></html>`
  )
  await writeFile(path.join(root, ENTRY), `import('./echarts-Zx_9-y8W.js');\n${'const x = 1;\n'.repeat(400)}`)
  await writeFile(path.join(root, CHUNK), `export const registerMap = () => 1;\n${'// chart\n'.repeat(4000)}`)
  await writeFile(path.join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
  await rm(empty, { recursive: true, force: true })
})

async function app(dir = root) {
  const a = Fastify()
  await registerWeb(a, { tz: 'Asia/Shanghai', root: dir })
  a.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: { code: 'API_E_NOT_FOUND' } }))
  a.get('/api/v1/ping', async () => ({ ok: true }))
  await a.ready()
  return a
}

describe('registerWeb', () => {
  it('serves the page at / with a self-only CSP and revalidation', async () => {
    const a = await app()
    const res = await a.inject({ url: '/' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY)
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-|\*|https?:/)
    expect(res.headers['cache-control']).toBe('no-cache')
    expect(res.body).toContain(ENTRY)
    const again = await a.inject({ url: '/', headers: { 'if-none-match': String(res.headers.etag) } })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
  })

  it('caches hashed assets as immutable and gzips them for clients that accept it', async () => {
    const a = await app()
    const res = await a.inject({ url: CHUNK, headers: { 'accept-encoding': 'gzip, br' } })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(res.headers['content-encoding']).toBe('gzip')
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    const plain = gunzipSync(res.rawPayload).toString('utf8')
    expect(plain).toContain('registerMap')
    expect(res.rawPayload.length).toBeLessThan(plain.length / 4)
    const identity = await a.inject({ url: CHUNK })
    expect(identity.headers['content-encoding']).toBeUndefined()
    expect(identity.rawPayload.length).toBe(Buffer.byteLength(plain))
    // An unhashed file keeps its name across deploys: revalidated.
    expect((await a.inject({ url: '/favicon.svg' })).headers['cache-control']).toBe('no-cache')
  })

  it('serves the WGS-84 district outlines and the city time zone', async () => {
    const a = await app()
    const geo = (await a.inject({ url: '/data/wuxi-districts.json' })).json() as {
      datum: string
      features: Array<{ properties: { name: string } }>
    }
    expect(geo.datum).toMatch(/^WGS-84/)
    expect(geo.features.map((f) => f.properties.name)).toContain('梁溪')
    expect((await a.inject({ url: '/config.json' })).json()).toEqual({ tz: 'Asia/Shanghai' })
  })

  it('leaves every other path to the app: no source, no tests, no directory listing', async () => {
    const a = await app()
    for (const url of ['/plugin.ts', '/plugin.test.ts', '/assets/', '/src/main.ts', '/../package.json', '/api/v1/x']) {
      const res = await a.inject({ url })
      expect(res.statusCode, url).toBe(404)
      expect(res.json(), url).toEqual({ error: { code: 'API_E_NOT_FOUND' } })
    }
  })

  it('without a build, the page answers 503 saying how to build it, and the rest keeps working', async () => {
    expect(await readdir(empty)).toEqual([])
    const a = await app(empty)
    for (const url of ['/', '/index.html']) {
      const res = await a.inject({ url })
      expect(res.statusCode, url).toBe(503)
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
      expect(res.body).toBe(NOT_BUILT)
      expect(res.body).toContain('npm run build')
    }
    expect((await a.inject({ url: '/api/v1/ping' })).json()).toEqual({ ok: true })
    expect((await a.inject({ url: '/config.json' })).statusCode).toBe(200)
    expect((await a.inject({ url: ENTRY })).statusCode).toBe(404)
  })
})
