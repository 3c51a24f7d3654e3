import { gunzipSync } from 'node:zlib'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { CONTENT_SECURITY_POLICY, registerWeb } from './plugin.ts'

// The page's static serving through a real Fastify (inject): headers, gzip, revalidation, and
// that nothing but the page's own files is reachable.

async function app() {
  const a = Fastify()
  await registerWeb(a, { tz: 'Asia/Shanghai' })
  a.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: { code: 'API_E_NOT_FOUND' } }))
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
    expect(res.body).toContain('/js/main.js')
    const again = await a.inject({ url: '/', headers: { 'if-none-match': String(res.headers.etag) } })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
  })

  it('gzips ECharts from node_modules for clients that accept it and caches it for a day', async () => {
    const a = await app()
    const res = await a.inject({ url: '/vendor/echarts.min.js', headers: { 'accept-encoding': 'gzip, br' } })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-encoding']).toBe('gzip')
    expect(res.headers['cache-control']).toBe('public, max-age=86400')
    expect(res.rawPayload.length).toBeLessThan(400_000)
    const plain = gunzipSync(res.rawPayload).toString('utf8')
    expect(plain).toContain('registerMap')
    const identity = await a.inject({ url: '/vendor/echarts.min.js' })
    expect(identity.headers['content-encoding']).toBeUndefined()
    expect(identity.rawPayload.length).toBe(Buffer.byteLength(plain))
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
    for (const url of ['/plugin.ts', '/plugin.test.ts', '/js/', '/../package.json', '/api/v1/nothing', '/vendor/']) {
      const res = await a.inject({ url })
      expect(res.statusCode, url).toBe(404)
      expect(res.json(), url).toEqual({ error: { code: 'API_E_NOT_FOUND' } })
    }
  })
})
