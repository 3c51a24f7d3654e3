import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { main } from './main.ts'
import { captureStreams } from '../test/fixtures/streams.ts'

function ctx(env: Record<string, string> = {}) {
  const io = captureStreams()
  return { ctx: { env, stdout: io.stdout, stderr: io.stderr }, out: io.out, err: io.err }
}

describe('qingyun CLI', () => {
  it('writes JSON Schema files and an AsyncAPI 3 document generated from the contract', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-schema-'))
    onTestFinished(() => rm(dir, { recursive: true, force: true }))
    const c = ctx()
    expect(await main(['schema', '--out', dir], c.ctx)).toBe(0)
    const files = (await readdir(dir)).sort()
    for (const kind of ['weighing', 'fill', 'position', 'status']) {
      expect(files).toContain(`${kind}.schema.json`)
      expect(files).toContain(`${kind}.payload.schema.json`)
    }
    expect(files).toContain('registry.schema.json')
    expect(files).toContain('rejection-notice.schema.json')
    const weighing = JSON.parse(await readFile(path.join(dir, 'weighing.schema.json'), 'utf8'))
    expect(weighing.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
    expect(weighing.required).toEqual(
      expect.arrayContaining(['ts', 'ticketId', 'direction', 'stream', 'grossKg', 'tareKg', 'netKg', 'plate'])
    )
    expect(weighing.additionalProperties).toBe(false)
    const payload = JSON.parse(await readFile(path.join(dir, 'fill.payload.schema.json'), 'utf8'))
    expect(JSON.stringify(payload)).toContain('"maxItems":500')
    const asyncapi = JSON.parse(await readFile(path.join(dir, 'asyncapi.json'), 'utf8'))
    expect(asyncapi.asyncapi).toBe('3.0.0')
    expect(asyncapi.channels.weighing.address).toBe('v1/devices/{deviceId}/weighing')
    expect(asyncapi.channels.errors.address).toBe('v1/devices/{deviceId}/errors')
    for (const op of Object.values(asyncapi.operations) as { channel: { $ref: string } }[]) {
      const ref = op.channel.$ref.replace('#/channels/', '')
      expect(asyncapi.channels[ref], `operation points at missing channel ${ref}`).toBeDefined()
    }
  })

  it('stops at start with a message naming a bad variable', async () => {
    const c = ctx({ QINGYUN_MQTT_PORT: 'eighteen' })
    expect(await main(['start'], c.ctx)).toBe(2)
    expect(c.err()).toContain('QINGYUN_MQTT_PORT="eighteen"')
  })

  it('reports a catalogued error as one line naming the file, without a stack trace', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-empty-'))
    onTestFinished(() => rm(dir, { recursive: true, force: true }))
    const c = ctx({ QINGYUN_DATA_DIR: dir })
    expect(
      await main(['sim', 'provision', '--devices', '10', '--out-credentials', path.join(dir, 'c.json')], c.ctx)
    ).toBe(1)
    expect(c.err()).toContain(`${dir}/registry.json: cannot read the registry`)
    expect(c.err()).toContain('(REGISTRY_E_IO)')
    expect(c.err()).not.toMatch(/\n\s+at /)
  })

  it('rejects an unknown command with the usage text', async () => {
    const c = ctx()
    expect(await main(['frobnicate'], c.ctx)).toBe(2)
    expect(c.err()).toContain('unknown command "frobnicate"')
    expect(c.err()).toContain('usage: qingyun')
  })
})
