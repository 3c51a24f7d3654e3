// Operator accounts managed over the admin REST on a running node: the token of a new account
// works at once and is never listed; disable/enable, a role change and a rotation take effect
// on the next request; no change may leave the accounts without an enabled admin (409 naming
// the field); every refusal names its field.
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { hashToken } from '../../registry/tokens.ts'
import { withSystem } from '../harness/system.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const exec = promisify(execFile)

const json = (method: string, body?: unknown): RequestInit => ({
  method,
  ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
})

interface Added {
  user: { name: string; role: string; enabled: boolean; createdAt: string }
  token: string
}

describe('admin REST: operator accounts', () => {
  it('adds an account whose token works at once, disables/enables it, changes its role, rotates it', async () => {
    const t = await withSystem()
    const admin = await t.token('admin')
    const operator = await t.token('operator')
    expect((await t.api('/api/v1/admin/users', operator)).status).toBe(403)

    const add = await t.api<Added>('/api/v1/admin/users', admin, json('POST', { name: 'li.wei', role: 'operator' }))
    expect(add.status).toBe(201)
    expect(add.body.user).toMatchObject({ name: 'li.wei', role: 'operator', enabled: true })
    expect(add.body.token).toMatch(/^qyo_[A-Za-z0-9_-]{43}$/)
    const token = add.body.token
    const file = await readFile(path.join(t.dataDir, 'users.json'), 'utf8')
    expect(file).not.toContain(token)
    expect(file).toContain(hashToken(token))
    expect((await t.api('/api/v1/city', token)).status).toBe(200)
    // The list names accounts, never a token or its hash.
    const list = await t.api<unknown[]>('/api/v1/admin/users', admin)
    expect(list.body).toContainEqual({ name: 'li.wei', role: 'operator', enabled: true, createdAt: expect.any(String) })
    expect(JSON.stringify(list.body)).not.toMatch(/qyo_|sha256/)

    const patch = (name: string, body: unknown) => t.api(`/api/v1/admin/users/${name}`, admin, json('PATCH', body))
    expect((await patch('li.wei', { enabled: false })).body).toMatchObject({ enabled: false })
    expect((await t.api('/api/v1/city', token)).status).toBe(401)
    expect((await patch('li.wei', { enabled: true })).body).toMatchObject({ enabled: true })
    expect((await t.api('/api/v1/city', token)).status).toBe(200)
    expect((await t.api('/api/v1/admin/users', token)).status).toBe(403)
    expect((await patch('li.wei', { role: 'admin' })).body).toMatchObject({ role: 'admin' })
    expect((await t.api('/api/v1/admin/users', token)).status).toBe(200)

    const rotated = await t.api<Added>('/api/v1/admin/users/li.wei/rotate', admin, json('POST'))
    expect(rotated.status).toBe(200)
    expect((await t.api('/api/v1/city', token)).status).toBe(401)
    expect((await t.api('/api/v1/city', rotated.body.token)).status).toBe(200)
  }, 60_000)

  it('refuses to leave no enabled admin (409 naming the field), and names the field of every refusal', async () => {
    const t = await withSystem()
    const admin = await t.token('admin') // test-admin-1, the only admin
    const patch = (name: string, body: unknown) => t.api(`/api/v1/admin/users/${name}`, admin, json('PATCH', body))
    const conflict = (field: string, message: RegExp) => ({
      error: {
        code: 'API_E_CONFLICT',
        details: { issues: [{ in: 'body', path: field, message: expect.stringMatching(message) }] }
      }
    })
    const self = await patch('test-admin-1', { enabled: false })
    expect(self.status).toBe(409)
    expect(self.body).toMatchObject(conflict('enabled', /^disabling "test-admin-1" would leave no enabled admin/))
    const demote = await patch('test-admin-1', { role: 'operator' })
    expect(demote.status).toBe(409)
    expect(demote.body).toMatchObject(conflict('role', /^demoting "test-admin-1" would leave no enabled admin/))
    expect((await t.api('/api/v1/admin/users', admin)).status).toBe(200)

    // With another admin, the first may step down.
    const second = await t.api<Added>('/api/v1/admin/users', admin, json('POST', { name: 'zhang', role: 'admin' }))
    expect(second.status).toBe(201)
    expect((await patch('test-admin-1', { role: 'viewer' })).status).toBe(200)
    expect((await t.api('/api/v1/admin/users', admin)).status).toBe(403)
    const z = second.body.token
    const zPatch = await t.api('/api/v1/admin/users/zhang', z, json('PATCH', { enabled: false }))
    expect(zPatch.body).toMatchObject(conflict('enabled', /would leave no enabled admin/))

    const post = (body: unknown) => t.api('/api/v1/admin/users', z, json('POST', body))
    const issue = (field: string) => ({
      error: { code: 'API_E_VALIDATION', details: { issues: [expect.objectContaining({ in: 'body', path: field })] } }
    })
    const dup = await post({ name: 'zhang', role: 'viewer' })
    expect(dup.status).toBe(409)
    expect(dup.body).toMatchObject(conflict('name', /^an enabled account has this name/))
    expect((await post({ name: 'a b', role: 'viewer' })).body).toMatchObject(issue('name'))
    expect((await post({ name: 'wang', role: 'root' })).body).toMatchObject(issue('role'))
    expect((await post({ name: 'wang' })).body).toMatchObject(issue('role'))
    expect((await t.api('/api/v1/admin/users/wang', z, json('PATCH', { role: 'boss' }))).body).toMatchObject(
      issue('role')
    )
    expect((await t.api('/api/v1/admin/users/nobody', z, json('PATCH', { enabled: true }))).body).toMatchObject({
      error: { code: 'API_E_NOT_FOUND', message: 'no user "nobody"' }
    })
    expect((await t.api('/api/v1/admin/users/nobody/rotate', z, json('POST'))).status).toBe(404)
  }, 60_000)
})

describe('operator accounts from many processes', () => {
  it('keeps every account when N `qingyun users add` processes race REST adds', async () => {
    const t = await withSystem()
    const admin = await t.token('admin')
    const N = 5
    const cli = (i: number) =>
      exec(process.execPath, ['bin/qingyun.mjs', 'users', 'add', `cli-${i}`, '--role', 'viewer'], {
        cwd: root,
        env: { ...process.env, QINGYUN_DATA_DIR: t.dataDir },
        // Generous: on a loaded machine a tsx start alone can take several seconds.
        timeout: 150_000
      })
    let cliRunning = true
    const cliRuns = Promise.all(Array.from({ length: N }, (_, i) => cli(i))).finally(() => {
      cliRunning = false
    })
    // REST adds back to back for as long as the CLI processes run, so their writes interleave.
    const rest = async (): Promise<string[]> => {
      const added: string[] = []
      while (cliRunning || added.length < N) {
        const name = `rest-${added.length}`
        const r = await t.api('/api/v1/admin/users', admin, json('POST', { name, role: 'viewer' }))
        expect(r.status).toBe(201)
        added.push(name)
      }
      return added
    }
    const [runs, restNames] = await Promise.all([cliRuns, rest()])
    for (const r of runs) expect(r.stdout).toMatch(/^qyo_/m)
    const want = [...Array.from({ length: N }, (_, i) => `cli-${i}`), ...restNames]
    const file = JSON.parse(await readFile(path.join(t.dataDir, 'users.json'), 'utf8')) as { users: { name: string }[] }
    expect(file.users.map((u) => u.name)).toEqual(expect.arrayContaining(want))
  }, 300_000)
})
