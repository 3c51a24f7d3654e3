import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { WS_PATH, WsCloseCode } from '../../contracts/ws.ts'
import { withSystem } from '../harness/system.ts'

// Failed logins are throttled per address and per presented token, and a valid token is never
// refused because others failed — behind a reverse proxy every client shares one address. The
// whole node (node/system.ts) on a real InfluxDB; real HTTP and websocket clients.

const wrong = (i: number): string => `qyo_${String(i).padStart(43, 'x')}`

async function wsClose(url: string, token: string, headers: Record<string, string> = {}): Promise<number | 'welcome'> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}`, ...headers } })
  ws.on('error', () => undefined)
  const first = await Promise.race([
    once(ws, 'message').then(([d]) =>
      (JSON.parse(String(d)) as { type: string }).type === 'welcome' ? ('welcome' as const) : 0
    ),
    once(ws, 'close').then(([code]) => code as number)
  ])
  ws.terminate()
  return first
}

describe('token-aware lockout', () => {
  it('never refuses a valid token because others failed from the same address (REST and websocket)', async () => {
    const t = await withSystem()
    const good = await t.token('viewer')
    for (let i = 0; i < 12; i++) await t.api('/api/v1/city', wrong(i))
    const limited = await t.api<{ error: { code: string } }>('/api/v1/city', wrong(99))
    expect(limited.status).toBe(429)
    expect(limited.body.error.code).toBe('API_E_RATE_LIMITED')
    // The valid token, from the same (proxy) address.
    expect((await t.api('/api/v1/city', good)).status).toBe(200)
    const url = `${t.httpUrl.replace('http', 'ws')}${WS_PATH}`
    expect(await wsClose(url, good)).toBe('welcome')
    expect(await wsClose(url, wrong(100))).toBe(WsCloseCode.rateLimited)
  })

  it('throttles one wrong token presented from many addresses (X-Forwarded-For believed with QINGYUN_TRUST_PROXY)', async () => {
    const t = await withSystem({ env: { QINGYUN_TRUST_PROXY: 'true' } })
    const get = (token: string, ip: string) => t.api('/api/v1/city', token, { headers: { 'x-forwarded-for': ip } })
    // Ten failures from one address lock out that address, not the next one.
    for (let i = 0; i < 10; i++) await get(wrong(i), '198.51.100.1')
    expect((await get(wrong(50), '198.51.100.1')).status).toBe(429)
    expect((await get(wrong(51), '198.51.100.2')).status).toBe(401)
    // The same wrong token from ten addresses: throttled as a token.
    for (let i = 0; i < 10; i++) await get(wrong(7000), `203.0.113.${i + 1}`)
    expect((await get(wrong(7000), '203.0.113.200')).status).toBe(429)
  })

  it('ignores X-Forwarded-For by default (a client cannot pick the address its failures count against)', async () => {
    const t = await withSystem()
    for (let i = 0; i < 10; i++)
      await t.api('/api/v1/city', wrong(i), { headers: { 'x-forwarded-for': `198.51.100.${i + 1}` } })
    expect((await t.api('/api/v1/city', wrong(77), { headers: { 'x-forwarded-for': '198.51.100.99' } })).status).toBe(
      429
    )
  })
})
