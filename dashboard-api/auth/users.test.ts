import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { OPERATOR_TOKEN_PATTERN, UsersFile } from '../../contracts/users.ts'
import { hashToken } from '../../registry/tokens.ts'
import { createUserStore, UsersError, type UserStore } from './users.ts'
import { addUser, readUsers, writeUsers } from './usersFile.ts'

const log = pino({ level: 'silent' })
let dir: string
let file: string
const stores: UserStore[] = []
const open = async (): Promise<UserStore> => {
  const s = await createUserStore({ path: file, log, watch: false, now: () => Date.UTC(2025, 0, 2, 3, 4, 5) })
  stores.push(s)
  return s
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-users-'))
  file = path.join(dir, 'sub', 'users.json')
})
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()))
  await rm(dir, { recursive: true, force: true })
})

describe('user store', () => {
  it('starts with no users when the file is missing, and nobody is verified', async () => {
    const s = await open()
    expect(s.list()).toEqual([])
    expect(s.verify('qyo_' + 'A'.repeat(43))).toBeUndefined()
  })

  it('adds a user with a qyo_ token stored only as its SHA-256, in a 0600 file', async () => {
    const s = await open()
    const token = await s.add('li.na', 'operator')
    expect(token).toMatch(OPERATOR_TOKEN_PATTERN)
    expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32)
    expect(s.verify(token)).toEqual({ name: 'li.na', role: 'operator' })
    const text = await readFile(file, 'utf8')
    expect(text).not.toContain(token)
    expect(text).not.toContain(token.slice(4))
    expect(UsersFile.parse(JSON.parse(text))).toEqual({
      version: 1,
      users: [
        {
          name: 'li.na',
          role: 'operator',
          tokenHash: hashToken(token),
          enabled: true,
          createdAt: '2025-01-02T03:04:05.000Z'
        }
      ]
    })
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(s.list()).toEqual([
      { name: 'li.na', role: 'operator', enabled: true, createdAt: '2025-01-02T03:04:05.000Z' }
    ])
  })

  it('refuses a wrong, malformed or other-kind token', async () => {
    const s = await open()
    const token = await s.add('a', 'admin')
    const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')
    for (const t of [flipped, '', 'Bearer ' + token, token + 'x', 'qyd_' + token.slice(4), token.toUpperCase()])
      expect(s.verify(t)).toBeUndefined()
    expect(s.verify(undefined as unknown as string)).toBeUndefined()
  })

  it('tells several users apart', async () => {
    const s = await open()
    const a = await s.add('a', 'viewer')
    const b = await s.add('b', 'admin')
    expect(s.verify(a)?.name).toBe('a')
    expect(s.verify(b)).toEqual({ name: 'b', role: 'admin' })
  })

  it('revokes: the token stops working, the user stays listed, and can be re-issued with a new token', async () => {
    const s = await open()
    const old = await s.add('wang', 'viewer')
    await s.revoke('wang')
    expect(s.verify(old)).toBeUndefined()
    expect(s.list()).toMatchObject([{ name: 'wang', enabled: false }])
    const fresh = await s.add('wang', 'admin')
    expect(fresh).not.toBe(old)
    expect(s.verify(fresh)).toEqual({ name: 'wang', role: 'admin' })
    expect(s.verify(old)).toBeUndefined()
    expect(s.list()).toHaveLength(1)
  })

  it('refuses a duplicate enabled user and an unknown revoke, with stable codes', async () => {
    const s = await open()
    await s.add('dup', 'viewer')
    await expect(s.add('dup', 'admin')).rejects.toMatchObject({ code: 'USERS_E_EXISTS' })
    await expect(s.revoke('nobody')).rejects.toMatchObject({ code: 'USERS_E_UNKNOWN' })
  })

  it('reloads a change made by another process (the CLI), keeping the previous accounts when the file becomes invalid', async () => {
    const s = await open()
    const mine = await s.add('here', 'viewer')
    // Another process adds a user.
    const { file: onDisk } = await readUsers(file)
    const other = addUser(onDisk, 'there', 'operator', Date.now())
    await writeUsers(file, other.file)
    expect(s.verify(other.token)).toBeUndefined()
    expect(await s.reload()).toBe(true)
    expect(s.verify(other.token)).toEqual({ name: 'there', role: 'operator' })
    expect(await s.reload()).toBe(false)

    await writeFile(file, '{"version": 1, "users": [{"name": "x"}]}')
    expect(await s.reload()).toBe(false)
    expect(s.verify(mine)?.name).toBe('here')
    expect(s.verify(other.token)?.name).toBe('there')
  })

  it('does not lose a change made by another process when it writes', async () => {
    const s = await open()
    await s.add('first', 'viewer')
    const other = addUser((await readUsers(file)).file, 'second', 'viewer', Date.now())
    await writeUsers(file, other.file)
    await s.add('third', 'viewer')
    expect(s.list().map((u) => u.name)).toEqual(['first', 'second', 'third'])
  })

  it('refuses to start on an invalid file, naming the field', async () => {
    await writeUsers(file, { version: 1, users: [] })
    await writeFile(
      file,
      JSON.stringify({
        version: 1,
        users: [{ name: 'a', role: 'root', tokenHash: 'sha256:00', enabled: true, createdAt: 'now' }]
      })
    )
    const err = await createUserStore({ path: file, log, watch: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UsersError)
    expect((err as UsersError).code).toBe('USERS_E_INVALID')
    expect((err as UsersError).message).toContain('users.0.role')
    expect((err as UsersError).message).toContain('users.0.tokenHash')
  })

  it('refuses duplicate names in the file', () => {
    const u = { role: 'viewer', tokenHash: hashToken('x'), enabled: true, createdAt: '2025-01-01T00:00:00Z' }
    const parsed = UsersFile.safeParse({
      version: 1,
      users: [
        { name: 'a', ...u },
        { name: 'a', ...u }
      ]
    })
    expect(parsed.success).toBe(false)
    expect(parsed.error?.issues[0]?.path).toEqual(['users', 1, 'name'])
  })
})
