import { once } from 'node:events'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it, onTestFinished } from 'vitest'
import WebSocket from 'ws'
import { WS_PATH, WsCloseCode } from '../../contracts/ws.ts'
import { withSystem, type TestSystem } from '../harness/system.ts'

// Wall display credentials on the whole node: issued over REST (admin) or by the CLI, a viewer
// that can read and nothing more, and revoked either way: the display's open websocket is
// closed 4401 and its next request gets 401.

interface Display {
  name: string
  enabled: boolean
  createdAt: string
  token?: string
}

/** A websocket signed in with `token` and subscribed to the city; resolves once the snapshot came. */
async function wall(t: TestSystem, token: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${t.system.httpPort}${WS_PATH}`, 'qingyun.ws.v1')
  onTestFinished(() => ws.terminate())
  const closed = once(ws, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }))
  await once(ws, 'open')
  const snapshot = new Promise<void>((resolve) => {
    ws.on('message', (raw) => {
      if ((JSON.parse(String(raw)) as { type: string }).type === 'snapshot') resolve()
    })
  })
  ws.send(JSON.stringify({ type: 'auth', token }))
  ws.send(JSON.stringify({ type: 'subscribe', id: 'c', channel: 'city' }))
  await snapshot
  return { closed }
}

const root = fileURLToPath(new URL('../../', import.meta.url))
const run = promisify(execFile)
/** `node bin/qingyun.mjs ARGS` against the test system's data dir (its accounts file). */
const cli = (t: TestSystem, ...args: string[]) =>
  run(process.execPath, ['bin/qingyun.mjs', ...args], {
    cwd: root,
    env: { ...process.env, QINGYUN_DATA_DIR: t.dataDir, QINGYUN_REGISTRY: t.registryPath },
    // Generous: on a loaded machine a tsx start alone can take several seconds.
    timeout: 150_000
  })

describe('wall display credentials', { timeout: 180_000 }, () => {
  it('an admin issues one over REST: a viewer that reads, acknowledges nothing, and manages nothing', async () => {
    const t = await withSystem()
    const admin = await t.token('admin')
    const operator = await t.token('operator')
    expect((await t.api('/api/v1/admin/displays', operator, post({ name: 'wall-1' }))).status).toBe(403)
    expect((await t.api('/api/v1/admin/displays', operator)).status).toBe(403)

    const created = await t.api<Display>('/api/v1/admin/displays', admin, post({ name: 'wall-1' }))
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ name: 'wall-1', enabled: true, token: expect.stringMatching(/^qyo_/) })
    const token = created.body.token!
    expect((await t.api('/api/v1/city', token)).status).toBe(200)
    expect((await t.api('/api/v1/alerts/ack', token, post({ ids: ['x'] }))).status).toBe(403)
    expect((await t.api('/api/v1/admin/displays', token)).status).toBe(403)
    expect((await t.api('/api/v1/admin/targets', token)).status).toBe(403)

    // Listed without the token; a second live display of the name is refused naming the field.
    const list = await t.api<Display[]>('/api/v1/admin/displays', admin)
    expect(list.body).toEqual([{ name: 'wall-1', enabled: true, createdAt: created.body.createdAt }])
    const again = await t.api<{ error: { code: string; details: { issues: unknown[] } } }>(
      '/api/v1/admin/displays',
      admin,
      post({ name: 'wall-1' })
    )
    expect(again.status).toBe(400)
    expect(again.body.error.details.issues).toEqual([
      { in: 'body', path: 'name', message: expect.stringContaining('already exists') }
    ])
    const bad = await t.api('/api/v1/admin/displays', admin, post({ name: 'a b' }))
    expect(bad.status).toBe(400)
    // A person's account is neither listed nor revocable as a display.
    expect((await t.api('/api/v1/admin/displays/test-operator-2', admin, { method: 'DELETE' })).status).toBe(404)
    expect((await t.api('/api/v1/city', operator)).status).toBe(200)
  })

  it('revoking over REST closes the open websocket 4401 and the next request gets 401', async () => {
    const t = await withSystem()
    const admin = await t.token('admin')
    const { token } = (await t.api<Display>('/api/v1/admin/displays', admin, post({ name: 'wall-2' }))).body
    const w = await wall(t, token!)
    const revoked = await t.api<Display>('/api/v1/admin/displays/wall-2', admin, { method: 'DELETE' })
    expect(revoked.status).toBe(200)
    expect(revoked.body).toMatchObject({ name: 'wall-2', enabled: false })
    expect((await w.closed).code).toBe(WsCloseCode.unauthorized)
    expect((await t.api('/api/v1/city', token!)).status).toBe(401)
    expect((await t.api<Display[]>('/api/v1/admin/displays', admin)).body).toMatchObject([
      { name: 'wall-2', enabled: false }
    ])
    // Re-issued: a new token, the old one stays dead.
    const again = await t.api<Display>('/api/v1/admin/displays', admin, post({ name: 'wall-2' }))
    expect(again.status).toBe(201)
    expect(again.body.token).not.toBe(token)
    expect((await t.api('/api/v1/city', again.body.token!)).status).toBe(200)
    expect((await t.api('/api/v1/city', token!)).status).toBe(401)
  })

  it('`qingyun displays` issues and revokes against a running node, which signs the display out', async () => {
    const t = await withSystem()
    const admin = await t.token('admin')
    const added = await cli(t, 'displays', 'add', 'wall-cli')
    const token = added.stdout.trim().split('\n').at(-1)!
    // The running server reloads the accounts file by itself.
    await expect.poll(async () => (await t.api('/api/v1/city', token)).status, { timeout: 20_000 }).toBe(200)
    expect((await t.api<Display[]>('/api/v1/admin/displays', admin)).body).toMatchObject([
      { name: 'wall-cli', enabled: true }
    ])
    const w = await wall(t, token)
    await cli(t, 'displays', 'revoke', 'wall-cli')
    expect((await w.closed).code).toBe(WsCloseCode.unauthorized)
    expect((await t.api('/api/v1/city', token)).status).toBe(401)
    expect((await cli(t, 'displays', 'list')).stdout).toMatch(/^wall-cli\s+no\s+/m)
  })
})

function post(body: unknown): RequestInit {
  return { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
}
