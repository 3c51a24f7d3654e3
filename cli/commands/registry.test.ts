import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Registry } from '../../contracts/registry.ts'
import { SAMPLE_PATH } from '../../registry/sample/generate.ts'
import { verifyToken } from '../../registry/tokens.ts'
import { readCredentials, registryCommand, seedRegistry } from './registry.ts'
import { captureStreams } from '../../test/fixtures/streams.ts'

const fixture = new URL('../../registry/testdata/tiny.json', import.meta.url)
const fixturePath = fileURLToPath(fixture)

describe('registry command', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qingyun-registry-cli-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  async function run(...args: string[]) {
    const io = captureStreams()
    const code = await registryCommand(args, {
      registryPath: join(dir, 'registry.json'),
      stdout: io.stdout,
      stderr: io.stderr
    })
    return { code, out: io.out(), err: io.err() }
  }

  it('sample --seed 1 --out FILE writes the shipped sample', async () => {
    const out = join(dir, 'wuxi.json')
    const r = await run('sample', '--seed', '1', '--out', out)
    expect(r.code).toBe(0)
    expect(r.err).toMatch(/48 sites, 2400 bins, 320 vehicles, 2776 devices/)
    expect(await readFile(out, 'utf8')).toBe(await readFile(SAMPLE_PATH, 'utf8'))
  })

  it.each([
    [['sample'], /--out FILE is required/],
    [['sample', '--out', 'x.json', '--seed=-3'], /--seed "-3" must be an integer/],
    [['sample', '--out', 'x.json', '--seed', '-3'], /--seed/],
    [['sample', '--out', 'x.json', '--seed', '1.5'], /--seed "1.5" must be an integer/],
    [['check', 'a', 'b'], /expected at most one FILE/],
    [['nope'], /unknown subcommand "nope"/]
  ])('%j is a usage error', async (args, message) => {
    const r = await run(...args)
    expect(r.code).toBe(2)
    expect(r.err).toMatch(message)
  })

  it('check validates the configured file or a given one', async () => {
    await copyFile(fixture, join(dir, 'registry.json'))
    const ok = await run('check')
    expect(ok.code).toBe(0)
    expect(ok.out).toMatch(/registry\.json: valid: 2 sites, 1 bins, 1 vehicles, 3 devices/)

    const bad = JSON.parse(await readFile(fixture, 'utf8')) as Registry
    bad.devices[0]!.siteId = 'ts-zz'
    bad.bins[0]!.capacityL = -1
    await writeFile(join(dir, 'bad.json'), JSON.stringify(bad))
    const r = await run('check', join(dir, 'bad.json'))
    expect(r.code).toBe(1)
    expect(r.out).toContain('bad.json: bins[0].capacityL: Too small: expected number to be >0 (id "bin-lx-0001")')
    expect(r.err).toMatch(/bad\.json: invalid/)

    const missing = await run('check', join(dir, 'missing.json'))
    expect(missing.code).toBe(1)
    expect(missing.err).toMatch(/cannot read the registry/)
  })
})

describe('seedRegistry', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qingyun-seed-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('copies the sample once, with a fresh token per device written to a 0600 credentials file', async () => {
    const registryPath = join(dir, 'data', 'registry.json')
    const credentialsPath = join(dir, 'data', 'secrets', 'device-credentials.json')
    expect(await seedRegistry({ samplePath: fixturePath, registryPath, credentialsPath })).toBe(true)

    const registry = Registry.parse(JSON.parse(await readFile(registryPath, 'utf8')))
    const credentials = await readCredentials(credentialsPath)
    expect(Object.keys(credentials).sort()).toEqual(registry.devices.map((d) => d.id).sort())
    for (const d of registry.devices) expect(verifyToken(d.tokenHash, credentials[d.id]!)).toBe(true)
    expect(new Set(Object.values(credentials)).size).toBe(registry.devices.length)
    expect((await stat(credentialsPath)).mode & 0o777).toBe(0o600)
    expect((await stat(registryPath)).mode & 0o777).toBe(0o600)
    const registryText = await readFile(registryPath, 'utf8')
    for (const token of Object.values(credentials)) expect(registryText).not.toContain(token)

    // A second start leaves both files alone.
    expect(await seedRegistry({ samplePath: fixturePath, registryPath, credentialsPath })).toBe(false)
    expect(await readFile(registryPath, 'utf8')).toBe(registryText)
    expect(await readCredentials(credentialsPath)).toEqual(credentials)
  })

  it('seeds the full Wuxi sample', async () => {
    const registryPath = join(dir, 'registry.json')
    const credentialsPath = join(dir, 'credentials.json')
    expect(await seedRegistry({ samplePath: SAMPLE_PATH, registryPath, credentialsPath })).toBe(true)
    expect(Object.keys(await readCredentials(credentialsPath))).toHaveLength(2776)
  })

  it('readCredentials rejects a malformed file with its path', async () => {
    const path = join(dir, 'c.json')
    await writeFile(path, JSON.stringify({ 'wb-1': 'not-a-token' }))
    await expect(readCredentials(path)).rejects.toMatchObject({
      code: 'REGISTRY_E_CREDENTIALS',
      message: expect.stringContaining('wb-1')
    })
    await expect(readCredentials(join(dir, 'none.json'))).rejects.toMatchObject({ code: 'REGISTRY_E_CREDENTIALS' })
  })
})
