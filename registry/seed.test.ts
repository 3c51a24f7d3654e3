import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadRegistry } from './load.ts'
import { readCredentials, seedRegistry } from './seed.ts'
import { verifyToken } from './tokens.ts'

describe('seedRegistry', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qingyun-seed-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('seeds once when two first starts race, and the tokens handed out match the stored hashes', async () => {
    const opts = {
      samplePath: new URL('./testdata/tiny.json', import.meta.url).pathname,
      registryPath: join(dir, 'data', 'registry.json'),
      credentialsPath: join(dir, 'data', 'device-credentials.json')
    }
    const seeded = await Promise.all([seedRegistry(opts), seedRegistry(opts), seedRegistry(opts)])
    expect(seeded.filter(Boolean)).toHaveLength(1)
    const registry = await loadRegistry(opts.registryPath)
    const credentials = await readCredentials(opts.credentialsPath)
    for (const d of registry.devices) expect(verifyToken(d.tokenHash, credentials[d.id]!)).toBe(true)
    expect(await seedRegistry(opts)).toBe(false)
  })
})
