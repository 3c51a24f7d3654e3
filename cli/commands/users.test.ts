import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { OPERATOR_TOKEN_PATTERN } from '../../contracts/users.ts'
import { createUserStore } from '../../dashboard-api/auth/users.ts'
import { usersCommand } from './users.ts'
import { captureStreams } from '../../test/fixtures/streams.ts'

let dir: string
let usersPath: string

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-users-cli-'))
  usersPath = path.join(dir, 'users.json')
})
afterEach(() => rm(dir, { recursive: true, force: true }))

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureStreams()
  const code = await usersCommand(args, { usersPath, stdout: io.stdout, stderr: io.stderr })
  return { code, stdout: io.out(), stderr: io.err() }
}

describe('qingyun users', () => {
  it('add prints the token once, as the last line of stdout, and a server store verifies it', async () => {
    const r = await run('add', 'zhao', '--role', 'operator')
    expect(r.code).toBe(0)
    const token = r.stdout.trimEnd().split('\n').at(-1)!
    expect(token).toMatch(OPERATOR_TOKEN_PATTERN)
    expect(r.stderr).not.toContain(token)
    expect(await readFile(usersPath, 'utf8')).not.toContain(token)
    const store = await createUserStore({ path: usersPath, log: pino({ level: 'silent' }), watch: false })
    expect(store.verify(token)).toEqual({ name: 'zhao', role: 'operator' })
    await store.close()
  })

  it('list shows name, role and state, never a hash', async () => {
    await run('add', 'a', '--role', 'viewer')
    await run('add', 'b', '--role', 'admin')
    await run('revoke', 'a')
    const r = await run('list')
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^NAME\s+ROLE\s+ENABLED\s+CREATED$/)
    expect(lines[1]).toMatch(/^a\s+viewer\s+no\s+\d{4}-/)
    expect(lines[2]).toMatch(/^b\s+admin\s+yes\s+/)
    expect(r.stdout).not.toContain('sha256')
  })

  it('revoke makes the token fail', async () => {
    const token = (await run('add', 'c', '--role', 'viewer')).stdout.trim()
    expect((await run('revoke', 'c')).code).toBe(0)
    const store = await createUserStore({ path: usersPath, log: pino({ level: 'silent' }), watch: false })
    expect(store.verify(token)).toBeUndefined()
    await store.close()
  })

  it('bad arguments exit 2 with a message naming the argument, and write nothing', async () => {
    for (const [args, says] of [
      [['add', 'x'], '--role is required'],
      [['add', 'x', '--role', 'root'], '--role "root" is not one of viewer|operator|admin'],
      [['add', 'bad/name', '--role', 'viewer'], 'NAME "bad/name" is invalid'],
      [['add', '--role', 'viewer'], 'expected exactly one NAME'],
      [['revoke', 'ghost'], 'no user "ghost"'],
      [['frob'], 'unknown subcommand "frob"'],
      [[], 'a subcommand is required']
    ] as const) {
      const r = await run(...args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toContain(says)
      expect(r.stdout).toBe('')
    }
    await expect(readFile(usersPath)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('refuses to add an enabled user twice', async () => {
    await run('add', 'd', '--role', 'viewer')
    const r = await run('add', 'd', '--role', 'admin')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('already exists')
  })
})
