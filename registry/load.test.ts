import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Registry, RegistryProblem } from '../contracts/registry.ts'
import { MAX_PROBLEMS, RegistryError, RegistryIoError, loadRegistry, parseRegistry, saveRegistry } from './load.ts'

const fixture = new URL('./testdata/tiny.json', import.meta.url)
const tinyText = () => readFile(fixture, 'utf8')
const tiny = async (): Promise<Registry> => JSON.parse(await tinyText()) as Registry

function problemsOf(fn: () => unknown): readonly RegistryProblem[] {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(RegistryError)
    expect((err as RegistryError).code).toBe('REGISTRY_E_INVALID')
    return (err as RegistryError).problems
  }
  throw new Error('expected a RegistryError')
}

describe('parseRegistry', () => {
  it('parses a valid file', async () => {
    const r = parseRegistry(await tinyText(), 'tiny.json')
    expect(r.devices.map((d) => d.id)).toEqual(['wb-ts-lx-01', 'fs-lx-0001', 'gps-lx-001'])
  })

  it('names the source and the entry of a broken reference', async () => {
    const r = await tiny()
    r.devices[0]!.siteId = 'ts-zz'
    expect(problemsOf(() => parseRegistry(JSON.stringify(r), 'registry.json'))).toEqual([
      { path: 'devices[0].siteId', message: 'site "ts-zz" does not exist (id "wb-ts-lx-01")' }
    ])
  })

  it('names the entry and the field of a schema problem, and collects them all', async () => {
    const r = (await tiny()) as unknown as {
      sites: Record<string, unknown>[]
      vehicles: Record<string, unknown>[]
      city: Record<string, unknown>
    }
    r.sites[1]!.capacityTpd = 0
    r.vehicles[0]!.plate = 'B12345'
    r.city.tz = 'Mars/Olympus'
    expect(problemsOf(() => parseRegistry(JSON.stringify(r), 'registry.json'))).toEqual([
      { path: 'city.tz', message: 'must be an IANA time zone such as Asia/Shanghai' },
      { path: 'sites[1].capacityTpd', message: 'Too small: expected number to be >0 (id "sc-xw-01")' },
      {
        path: 'vehicles[0].plate',
        message: 'must be a Chinese plate such as 苏B12345, 苏BD12345 or 苏B12345D (id "veh-lx-001")'
      }
    ])
  })

  it('labels an entry without a usable id by index alone', async () => {
    const r = (await tiny()) as unknown as { bins: unknown[] }
    r.bins.push(42)
    expect(problemsOf(() => parseRegistry(JSON.stringify(r), 'r.json'))).toEqual([
      { path: 'bins[1]', message: 'Invalid input: expected object, received number' }
    ])
  })

  it(`stops listing after ${MAX_PROBLEMS} problems`, async () => {
    const r = await tiny()
    for (let i = 0; i < 80; i++)
      r.devices.push({ id: `wb-${i}`, type: 'weighbridge', siteId: 'nowhere', enabled: true })
    const problems = problemsOf(() => parseRegistry(JSON.stringify(r), 'r.json'))
    expect(problems).toHaveLength(MAX_PROBLEMS + 1)
    expect(problems[MAX_PROBLEMS]).toEqual({ path: '', message: '... and 30 more problems' })
  })

  it('reports invalid JSON', () => {
    const [problem] = problemsOf(() => parseRegistry('{"version": 1,', 'r.json'))
    expect(problem).toMatchObject({ path: '', message: expect.stringMatching(/^not valid JSON: /) })
  })

  it('accepts a byte-order mark', async () => {
    expect(parseRegistry(`\ufeff${await tinyText()}`, 'r.json').version).toBe(1)
  })
})

describe('loadRegistry and saveRegistry', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qingyun-registry-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('round-trips through an atomic, owner-only write', async () => {
    const path = join(dir, 'registry.json')
    const r = await tiny()
    await saveRegistry(path, r)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(await loadRegistry(path)).toEqual(r)
    expect(await readFile(path, 'utf8')).toBe(`${JSON.stringify(r, null, 2)}\n`)
    expect(await readdir(dir)).toEqual(['registry.json'])
  })

  it('tightens the mode of an existing world-readable file', async () => {
    const path = join(dir, 'registry.json')
    await writeFile(path, await tinyText(), { mode: 0o644 })
    await saveRegistry(path, await tiny())
    expect((await stat(path)).mode & 0o777).toBe(0o600)
  })

  it('refuses to write an invalid registry and leaves the file alone', async () => {
    const path = join(dir, 'registry.json')
    await writeFile(path, await tinyText())
    const r = await tiny()
    r.devices[1]!.binId = 'missing'
    await expect(saveRegistry(path, r)).rejects.toMatchObject({
      code: 'REGISTRY_E_INVALID',
      problems: [{ path: 'devices[1].binId', message: 'bin "missing" does not exist (id "fs-lx-0001")' }]
    })
    expect(await readFile(path, 'utf8')).toBe(await tinyText())
    expect(await readdir(dir)).toEqual(['registry.json'])
  })

  it('wraps a missing file in REGISTRY_E_IO', async () => {
    const err = await loadRegistry(join(dir, 'nope.json')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RegistryIoError)
    expect((err as RegistryIoError).code).toBe('REGISTRY_E_IO')
  })
})
