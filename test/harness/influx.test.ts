// The harness itself: where it finds InfluxDB, that it fails loudly, that it cleans up.
import { existsSync } from 'node:fs'
import pino from 'pino'
import { describe, expect, inject, it } from 'vitest'
import { createInfluxClient } from '../../influx/client.ts'
import { findTestInflux, INFLUX_TEST_REQUIREMENTS, setup } from './influx.ts'
import { createTestDatabase, uniqueDbName } from './influxdb.ts'

const log = pino({ level: 'silent' })
const noContainer = async () => undefined
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('findTestInflux', () => {
  it('uses QINGYUN_TEST_INFLUX_URL when set', async () => {
    const url = inject('influxUrl')
    const found = await findTestInflux({ QINGYUN_TEST_INFLUX_URL: url }, log, noContainer)
    expect(found.ctx.influxUrl).toBe(url)
    expect(found.what).toContain('external InfluxDB')
    await found.teardown() // leaves an external server alone
    expect(await createInfluxClient({ url, db: 'x' }).ping()).toBe(true)
  })

  it('moves credentials from the URL into Basic auth and hides them', async () => {
    const url = inject('influxUrl')
    const withCreds = url.replace('http://', 'http://reader:pa%24%24@')
    const found = await findTestInflux({ QINGYUN_TEST_INFLUX_URL: withCreds }, log, noContainer)
    expect(found.ctx.influxUrl).toBe(url)
    expect(found.ctx.influxAuth).toEqual({ username: 'reader', password: 'pa$$' })
    expect(found.what).not.toContain('pa%24%24')
  })

  it('fails, naming the variable, when that URL does not answer', async () => {
    const err = await findTestInflux({ QINGYUN_TEST_INFLUX_URL: 'http://127.0.0.1:9/' }, log, noContainer).catch(
      (e: unknown) => e
    )
    expect((err as Error).message).toContain('QINGYUN_TEST_INFLUX_URL=http://127.0.0.1:9/ does not answer /ping')
    expect((err as Error).message).toContain('apt-get install -y influxdb')
  })

  it('starts a private influxd and removes it and its data at teardown', async () => {
    const found = await findTestInflux({ PATH: process.env.PATH }, log, noContainer)
    const m = /pid (\d+)\) at (\S+), data in (\S+)$/.exec(found.what)
    expect(m).not.toBeNull()
    const [, pid, url, dataDir] = m!
    expect(found.ctx).toEqual({ influxUrl: url, influxAuth: null, influxV2: null })
    expect(await createInfluxClient({ url: url!, db: 'x' }).ping()).toBe(true)
    expect(existsSync(dataDir!)).toBe(true)
    await found.teardown()
    expect(alive(Number(pid))).toBe(false)
    expect(existsSync(dataDir!)).toBe(false)
  })

  it('fails with what to install when there is no InfluxDB, no influxd and no Docker — never skips', async () => {
    const err = await findTestInflux(
      { PATH: '', QINGYUN_TEST_INFLUXD: '/nonexistent/influxd' },
      log,
      noContainer
    ).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toBe(INFLUX_TEST_REQUIREMENTS)
    expect(INFLUX_TEST_REQUIREMENTS).toContain('apt-get install -y influxdb')
    expect(INFLUX_TEST_REQUIREMENTS).toContain('QINGYUN_TEST_INFLUX_URL')
    expect(INFLUX_TEST_REQUIREMENTS).toContain('Docker')
  })
})

describe('setup', () => {
  it('provides influxUrl, influxAuth and influxV2, and returns its teardown', async () => {
    const provided: Record<string, unknown> = {}
    const teardown = await setup({
      provide: (key, value) => {
        provided[key] = value
      }
    })
    try {
      expect(Object.keys(provided).sort()).toEqual(['influxAuth', 'influxUrl', 'influxV2'])
      expect(await createInfluxClient({ url: provided.influxUrl as string, db: 'x' }).ping()).toBe(true)
    } finally {
      await teardown()
    }
  })
})

describe('createTestDatabase', () => {
  it('creates a unique database and drops it', async () => {
    const a = await createTestDatabase('Harness Test!')
    const b = await createTestDatabase('Harness Test!')
    expect(a.db).not.toBe(b.db)
    expect(a.db).toMatch(/^harness_test_[a-z0-9]+_[0-9a-f]{8}$/)
    const [r] = await a.client.query('SHOW DATABASES')
    const names = (r?.series?.[0]?.values ?? []).map((v) => v[0])
    expect(names).toEqual(expect.arrayContaining([a.db, b.db]))
    await a.drop()
    await b.drop()
    await a.drop() // idempotent
    const [after] = await a.client.query('SHOW DATABASES')
    const left = (after?.series?.[0]?.values ?? []).map((v) => v[0])
    expect(left).not.toContain(a.db)
    expect(left).not.toContain(b.db)
  })

  it('sanitises prefixes into identifier-safe names', () => {
    expect(uniqueDbName('清运 writer/IT')).toMatch(/^writer_it_[a-z0-9]+_[0-9a-f]{8}$/)
    expect(uniqueDbName('***')).toMatch(/^test_/)
  })
})
