import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Registry } from '../../contracts/registry.ts'
import { verifyToken } from '../../registry/tokens.ts'
import { devicesCommand, servicesCommand } from './devices.ts'
import { captureStreams } from '../../test/fixtures/streams.ts'

const capture = captureStreams

describe('devices and services commands', () => {
  let dir: string
  let registryPath: string
  const readRegistry = async () => Registry.parse(JSON.parse(await readFile(registryPath, 'utf8')))

  async function run(cmd: typeof devicesCommand, ...args: string[]) {
    const io = capture()
    const code = await cmd(args, { registryPath, stdout: io.stdout, stderr: io.stderr })
    return { code, out: io.out(), err: io.err() }
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qingyun-cli-'))
    registryPath = join(dir, 'registry.json')
    await copyFile(new URL('../../registry/testdata/tiny.json', import.meta.url), registryPath)
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('devices add prints the token alone as the last stdout line and stores only its hash', async () => {
    const before = await readFile(registryPath, 'utf8')
    const { code, out, err } = await run(
      devicesCommand,
      'add',
      'wb-ts-lx-01-2',
      '--type',
      'weighbridge',
      '--site',
      'ts-lx-01'
    )
    expect(code).toBe(0)
    const lines = out.trimEnd().split('\n')
    const token = lines[lines.length - 1]!
    expect(token).toMatch(/^qyd_[A-Za-z0-9_-]{43}$/)
    expect(err).toMatch(/added weighbridge "wb-ts-lx-01-2"/)
    expect(err).not.toContain(token)

    const text = await readFile(registryPath, 'utf8')
    expect(text).not.toContain(token)
    expect(text).not.toBe(before)
    const device = (await readRegistry()).devices.find((d) => d.id === 'wb-ts-lx-01-2')!
    expect(device).toMatchObject({ type: 'weighbridge', siteId: 'ts-lx-01', enabled: true })
    expect(verifyToken(device.tokenHash, token)).toBe(true)
  })

  it('accepts --flag=value and attaches sensors and trackers', async () => {
    expect((await run(devicesCommand, 'add', 'fs-2', '--type=fill-sensor', '--bin=bin-lx-0001')).code).toBe(0)
    expect((await run(devicesCommand, 'add', 'gps-2', '--vehicle', 'veh-lx-001', '--type', 'gps-tracker')).code).toBe(0)
    const r = await readRegistry()
    expect(r.devices.find((d) => d.id === 'fs-2')?.binId).toBe('bin-lx-0001')
    expect(r.devices.find((d) => d.id === 'gps-2')?.vehicleId).toBe('veh-lx-001')
  })

  it.each([
    [['add'], /devices add: expected exactly one ID, got 0/],
    [['add', 'a/b', '--type', 'weighbridge', '--site', 'ts-lx-01'], /ID "a\/b" is invalid/],
    [['add', 'x'], /--type is required/],
    [
      ['add', 'x', '--type', 'scale', '--site', 'ts-lx-01'],
      /--type "scale" is not one of weighbridge\|fill-sensor\|gps-tracker/
    ],
    [['add', 'x', '--type', 'weighbridge'], /--site ID is required for a weighbridge/],
    [['add', 'x', '--type', 'weighbridge', '--bin', 'bin-lx-0001'], /a weighbridge is attached with --site, not --bin/],
    [['add', 'x', '--type', 'weighbridge', '--site', 'ts-lx-01', '--colour', 'red'], /Unknown option '--colour'/],
    [['frobnicate'], /unknown subcommand "frobnicate"/],
    [[], /a subcommand is required/]
  ])('devices %j is a usage error (exit 2) naming the argument', async (args, message) => {
    const before = await readFile(registryPath, 'utf8')
    const { code, out, err } = await run(devicesCommand, ...args)
    expect(code).toBe(2)
    expect(err).toMatch(message)
    expect(err).toMatch(/usage:/)
    expect(out).toBe('')
    expect(await readFile(registryPath, 'utf8')).toBe(before)
  })

  it.each([
    [
      ['add', 'x', '--type', 'weighbridge', '--site', 'ts-zz'],
      ['devices[3].siteId: site "ts-zz" does not exist (id "x")']
    ],
    [
      ['add', 'fs-lx-0001', '--type', 'fill-sensor', '--bin', 'bin-lx-0001'],
      ['devices[3].id: duplicate id "fs-lx-0001", already used by devices[1]']
    ],
    [['revoke', 'nobody'], ['devices: no device with ID "nobody"']]
  ])('devices %j is refused by the registry (exit 1), one problem per line', async (args, problems) => {
    const before = await readFile(registryPath, 'utf8')
    const { code, out, err } = await run(devicesCommand, ...args)
    expect(code).toBe(1)
    expect(err.trimEnd().split('\n')).toEqual(['the registry refused the change:', ...problems])
    expect(out).toBe('')
    expect(await readFile(registryPath, 'utf8')).toBe(before)
  })

  it('devices revoke disables the device and removes its token hash', async () => {
    const token = (await run(devicesCommand, 'add', 'wb-new', '--type', 'weighbridge', '--site', 'ts-lx-01')).out.trim()
    const { code, err } = await run(devicesCommand, 'revoke', 'wb-new')
    expect(code).toBe(0)
    expect(err).toMatch(/revoked "wb-new"/)
    const device = (await readRegistry()).devices.find((d) => d.id === 'wb-new')!
    expect(device.enabled).toBe(false)
    expect('tokenHash' in device).toBe(false)
    expect(verifyToken(device.tokenHash, token)).toBe(false)
  })

  it('devices rotate issues a new token that replaces the old one', async () => {
    const old = (await run(devicesCommand, 'add', 'wb-new', '--type', 'weighbridge', '--site', 'ts-lx-01')).out.trim()
    await run(devicesCommand, 'revoke', 'wb-new')
    const { code, out } = await run(devicesCommand, 'rotate', 'wb-new')
    expect(code).toBe(0)
    const token = out.trim().split('\n').pop()!
    const device = (await readRegistry()).devices.find((d) => d.id === 'wb-new')!
    expect(device.enabled).toBe(true)
    expect(verifyToken(device.tokenHash, token)).toBe(true)
    expect(verifyToken(device.tokenHash, old)).toBe(false)
  })

  it('devices list shows id, type, reference, enabled and whether a token exists', async () => {
    await run(devicesCommand, 'add', 'wb-new', '--type', 'weighbridge', '--site', 'ts-lx-01')
    const { code, out } = await run(devicesCommand, 'list')
    expect(code).toBe(0)
    const rows = out
      .trimEnd()
      .split('\n')
      .map((l) => l.split(/\s+/))
    expect(rows[0]).toEqual(['ID', 'TYPE', 'REF', 'ENABLED', 'TOKEN'])
    expect(rows).toContainEqual(['wb-ts-lx-01', 'weighbridge', 'site:ts-lx-01', 'yes', 'no'])
    expect(rows).toContainEqual(['wb-new', 'weighbridge', 'site:ts-lx-01', 'yes', 'yes'])
    expect(rows).toContainEqual(['gps-lx-001', 'gps-tracker', 'vehicle:veh-lx-001', 'yes', 'no'])
  })

  it('services add / revoke / list, sharing the id namespace with devices', async () => {
    const added = await run(servicesCommand, 'add', 'dashboard-api')
    expect(added.code).toBe(0)
    const token = added.out.trim()
    expect(token).toMatch(/^qys_[A-Za-z0-9_-]{43}$/)
    const service = (await readRegistry()).services.find((s) => s.id === 'dashboard-api')!
    expect(verifyToken(service.tokenHash, token)).toBe(true)
    expect(await readFile(registryPath, 'utf8')).not.toContain(token)

    const clash = await run(servicesCommand, 'add', 'wb-ts-lx-01')
    expect(clash.code).toBe(1)
    expect(clash.err).toMatch(/services\[1\]\.id: duplicate id "wb-ts-lx-01", already used by devices\[0\]/)
    expect(
      (await run(devicesCommand, 'add', 'dashboard-api', '--type', 'weighbridge', '--site', 'ts-lx-01')).err
    ).toMatch(/services\[0\]\.id: duplicate id "dashboard-api", already used by devices\[3\]/)

    expect((await run(servicesCommand, 'revoke', 'dashboard-api')).code).toBe(0)
    const revoked = (await readRegistry()).services.find((s) => s.id === 'dashboard-api')!
    expect(revoked).toEqual({ id: 'dashboard-api', enabled: false })
    expect((await run(servicesCommand, 'list')).out).toMatch(/dashboard-api\s+no\s+no/)
  })

  it('an invalid registry file is exit 1 with its problems', async () => {
    await writeFile(registryPath, '{"version": 2}')
    const { code, err } = await run(devicesCommand, 'list')
    expect(code).toBe(1)
    expect(err).toMatch(/registry\.json: invalid registry:\nversion: /)
  })
})
