import { once } from 'node:events'
import path from 'node:path'
import { pino } from 'pino'
import { describe, expect, it, onTestFinished } from 'vitest'
import WebSocket from 'ws'
import { WS_PATH, WsCloseCode } from '../../contracts/ws.ts'
import { createUserStore } from '../../dashboard-api/auth/users.ts'
import { withSystem } from '../harness/system.ts'

// The API document behind a token, security headers, and revocation reaching open websockets:
// the whole node (node/system.ts) on a real InfluxDB, real HTTP and websocket clients, accounts
// changed in users.json by another process as `qingyun users revoke` does.

const log = pino({ level: 'silent' })

describe('API document', () => {
  it('needs an operator token by default', async () => {
    const t = await withSystem()
    const token = await t.token('viewer')
    expect((await fetch(`${t.httpUrl}/docs/json`)).status).toBe(401)
    expect((await fetch(`${t.httpUrl}/docs`, { redirect: 'manual' })).status).toBe(401)
    expect((await fetch(`${t.httpUrl}/docs/json`, { headers: { authorization: 'Bearer qyo_nope' } })).status).toBe(401)
    const doc = await t.api<{ openapi: string }>('/docs/json', token)
    expect(doc.status).toBe(200)
    expect(doc.body.openapi).toBe('3.1.0')
    // The operations page itself needs no token to load (it signs in with one).
    expect((await fetch(`${t.httpUrl}/`)).status).toBe(200)
  })

  it('is public with QINGYUN_DOCS_PUBLIC=true', async () => {
    const t = await withSystem({ env: { QINGYUN_DOCS_PUBLIC: 'true' } })
    expect((await fetch(`${t.httpUrl}/docs/json`)).status).toBe(200)
  })
})

describe('security headers', () => {
  it('are on API responses (errors too), and the page keeps its own Content-Security-Policy', async () => {
    const t = await withSystem()
    const token = await t.token('viewer')
    for (const [url, auth] of [
      ['/api/v1/city', token],
      ['/api/v1/city', undefined],
      ['/api/v1/nope', token],
      ['/readyz', undefined]
    ] as const) {
      const res = await fetch(`${t.httpUrl}${url}`, auth ? { headers: { authorization: `Bearer ${auth}` } } : {})
      expect({ url, nosniff: res.headers.get('x-content-type-options') }).toEqual({ url, nosniff: 'nosniff' })
      expect(res.headers.get('x-frame-options')).toBe('DENY')
      expect(res.headers.get('referrer-policy')).toBe('no-referrer')
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    }
    const page = await fetch(`${t.httpUrl}/`)
    expect(page.headers.get('content-security-policy')).toMatch(/script-src/)
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')
  })
})

describe('revocation', () => {
  it("closes the revoked operator's open websockets (4401) when users.json changes; others stay", async () => {
    const t = await withSystem()
    const revoked = await t.token('viewer')
    const kept = await t.token('viewer')
    const url = `${t.httpUrl.replace('http', 'ws')}${WS_PATH}`
    const connect = async (token: string) => {
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } })
      onTestFinished(() => ws.terminate())
      ws.on('error', () => undefined)
      const closed = once(ws, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }))
      await once(ws, 'open')
      ws.send(JSON.stringify({ type: 'subscribe', id: 'c', channel: 'city' }))
      await new Promise<void>((resolve) =>
        ws.on('message', (d) => (JSON.parse(String(d)) as { type: string }).type === 'snapshot' && resolve())
      )
      return { ws, closed }
    }
    const a = await connect(revoked)
    const b = await connect(kept)
    // Another process (the CLI) revokes the account in users.json; the node reloads the file.
    const cli = await createUserStore({ path: path.join(t.dataDir, 'users.json'), log, watch: false })
    onTestFinished(() => cli.close())
    await cli.revoke('test-viewer-1')
    expect(await a.closed).toEqual({ code: WsCloseCode.unauthorized, reason: 'token no longer valid' })
    expect(b.ws.readyState).toBe(WebSocket.OPEN)
  })
})
