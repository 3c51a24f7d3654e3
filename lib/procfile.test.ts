// Lock files with real processes: a live holder refuses, a dead one or a recycled pid is stale.
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { acquireLockFile, identityOf, isRunning, LockHeldError, processStartTime } from './procfile.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qingyun-procfile-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** The pid of a process that has exited (and been reaped). */
const deadPid = (): number => Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim())

describe('process identity', () => {
  it('is a pid plus its start time; a pid with another start time is not the same process', () => {
    const me = identityOf(process.pid)
    expect(me.startTime).toMatch(/^\d+$/)
    expect(isRunning(me)).toBe(true)
    expect(isRunning({ pid: process.pid, startTime: '1' })).toBe(false)
    expect(processStartTime(deadPid())).toBeUndefined()
    expect(isRunning({ pid: deadPid(), startTime: undefined })).toBe(false)
  })
})

describe('acquireLockFile', () => {
  it('creates the file (0600) once; a second acquire while the holder runs is refused, naming it', async () => {
    const path = join(dir, 'held.lock')
    const lock = await acquireLockFile(path, { ...identityOf(process.pid), since: 'now' })
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ pid: process.pid, since: 'now' })
    const err = await acquireLockFile(path, { ...identityOf(process.pid) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LockHeldError)
    expect((err as LockHeldError).holder).toMatchObject({ pid: process.pid })
    await lock.release()
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('takes over a lock whose holder is dead, or whose pid now belongs to another process', async () => {
    for (const [name, stale] of [
      ['dead', { pid: deadPid(), startTime: '12345' }],
      ['recycled', { pid: process.pid, startTime: '1' }],
      ['garbage', 'not json']
    ] as const) {
      const path = join(dir, `${name}.lock`)
      await writeFile(path, typeof stale === 'string' ? stale : JSON.stringify(stale))
      const lock = await acquireLockFile(path, { ...identityOf(process.pid) })
      expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject(identityOf(process.pid))
      await lock.release()
    }
  })

  it('release leaves a lock that another process has taken since', async () => {
    const path = join(dir, 'taken.lock')
    const lock = await acquireLockFile(path, { ...identityOf(process.pid) })
    await writeFile(path, JSON.stringify({ pid: 1, startTime: processStartTime(1) }))
    await lock.release()
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ pid: 1 })
  })
})
