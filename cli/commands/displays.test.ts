import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { OPERATOR_TOKEN_PATTERN, UsersFile } from '../../contracts/users.ts'
import { createUserStore } from '../../dashboard-api/auth/users.ts'
import { captureStreams } from '../../test/fixtures/streams.ts'
import { displaysCommand } from './displays.ts'
import { usersCommand } from './users.ts'

let dir: string
let usersPath: string

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-displays-cli-'))
  usersPath = path.join(dir, 'users.json')
})
afterEach(() => rm(dir, { recursive: true, force: true }))

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureStreams()
  const code = await displaysCommand(args, { usersPath, stdout: io.stdout, stderr: io.stderr })
  return { code, stdout: io.out(), stderr: io.err() }
}
async function users(...args: string[]): Promise<string> {
  const io = captureStreams()
  expect(await usersCommand(args, { usersPath, stdout: io.stdout, stderr: io.stderr })).toBe(0)
  return io.out().trim()
}
const store = () => createUserStore({ path: usersPath, log: pino({ level: 'silent' }), watch: false })

describe('qingyun displays', () => {
  it('add prints a viewer token once, as the last line of stdout, flagged as a display in the file', async () => {
    const r = await run('add', 'wall-ops-1')
    expect(r.code).toBe(0)
    const token = r.stdout.trimEnd().split('\n').at(-1)!
    expect(token).toMatch(OPERATOR_TOKEN_PATTERN)
    expect(r.stderr).toContain('#/wall?token=')
    expect(r.stderr).not.toContain(token)
    const text = await readFile(usersPath, 'utf8')
    expect(text).not.toContain(token)
    expect(UsersFile.parse(JSON.parse(text)).users).toMatchObject([
      { name: 'wall-ops-1', role: 'viewer', display: true }
    ])
    const s = await store()
    expect(s.verify(token)).toEqual({ name: 'wall-ops-1', role: 'viewer' })
    expect(s.list()).toMatchObject([{ name: 'wall-ops-1', role: 'viewer', enabled: true, display: true }])
    await s.close()
  })

  it('list shows only displays; revoke makes the token fail and leaves people alone', async () => {
    const person = await users('add', 'li', '--role', 'operator')
    const token = (await run('add', 'wall-a')).stdout.trim()
    await run('add', 'wall-b')
    expect((await run('revoke', 'wall-a')).code).toBe(0)
    const lines = (await run('list')).stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^NAME\s+ENABLED\s+CREATED$/)
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['wall-a', 'no'],
      ['wall-b', 'yes']
    ])
    const s = await store()
    expect(s.verify(token)).toBeUndefined()
    expect(s.verify(person)).toEqual({ name: 'li', role: 'operator' })
    await s.close()
  })

  it("never revokes or takes over a person's account, and refuses a second live display of one name", async () => {
    const person = await users('add', 'zhao', '--role', 'admin')
    const revoke = await run('revoke', 'zhao')
    expect(revoke.code).toBe(2)
    expect(revoke.stderr).toContain('no display "zhao"')
    expect((await run('add', 'zhao')).code).toBe(2)
    await users('revoke', 'zhao')
    // A revoked person's name is not re-issued as a display (who acknowledged what stays explainable).
    const taken = await run('add', 'zhao')
    expect(taken.code).toBe(2)
    expect(taken.stderr).toContain('revoked operator account')
    await run('add', 'wall-1')
    const twice = await run('add', 'wall-1')
    expect(twice.code).toBe(2)
    expect(twice.stderr).toContain('already exists')
    const s = await store()
    expect(s.verify(person)).toBeUndefined()
    expect(s.list().find((u) => u.name === 'zhao')).toMatchObject({ role: 'admin', enabled: false })
    expect(s.list().find((u) => u.name === 'zhao')).not.toHaveProperty('display')
    await s.close()
  })

  it('a display of the file that is not a viewer is refused when the file is read', async () => {
    await run('add', 'wall-x')
    const file = JSON.parse(await readFile(usersPath, 'utf8')) as UsersFile
    const bad = { ...file, users: file.users.map((u) => ({ ...u, role: 'admin' })) }
    expect(UsersFile.safeParse(bad).error?.issues[0]).toMatchObject({ path: ['users', 0, 'role'] })
  })

  it('bad arguments exit 2 and write nothing', async () => {
    for (const args of [[], ['add'], ['add', 'a b'], ['nope'], ['list', 'x'], ['add', 'a', 'b']]) {
      const r = await run(...args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toContain('usage:')
    }
    await expect(readFile(usersPath)).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
