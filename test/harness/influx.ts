// vitest globalSetup: finds or starts one real InfluxDB for the whole run and provides its URL and
// credentials to the tests (docs/conventions.md, rule 12: integration tests use the real thing).
// Order: QINGYUN_TEST_INFLUX_URL → a private local influxd (Debian's `influxdb` 1.x) →
// testcontainers influxdb:2.7 when a Docker engine answers → fail, saying what to install.
// Never a silent skip: a suite that quietly skips its database tests proves nothing.
//
// setup() returns its teardown instead of exporting a separate `teardown`: the teardown needs the
// handles setup created, and a closure keeps them out of module-level state (docs/conventions.md, rule 6).
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import type { TestProject } from 'vitest/node'
import type { InfluxAuth } from '../../influx/client.ts'
import { findInfluxd, startLocalInfluxd } from '../../influx/local.ts'
import type { Log } from '../../lib/log.ts'

/** What tests get through inject(); JSON-serialisable (vitest sends it to the workers). */
export interface InfluxTestContext {
  influxUrl: string
  influxAuth: InfluxAuth | null
  /** Set for InfluxDB 2.x: databases are buckets there, created through the v2 API in this org
   *  with the (operator/all-access) token of influxAuth. Null for 1.x and 3.x. */
  influxV2: { org: string } | null
}

declare module 'vitest' {
  export interface ProvidedContext {
    influxUrl: string
    influxAuth: InfluxAuth | null
    influxV2: { org: string } | null
  }
}

export const INFLUX_TEST_REQUIREMENTS = [
  'The database tests need a real InfluxDB, and none was found. Any one of:',
  '  • install InfluxDB 1.x so `influxd` is on PATH: `apt-get install -y influxdb` (Debian/Ubuntu);',
  '    the tests start a private instance on free loopback ports and delete its data afterwards;',
  '  • set QINGYUN_TEST_INFLUX_URL (e.g. http://127.0.0.1:8086) to a running, disposable InfluxDB,',
  '    with QINGYUN_TEST_INFLUX_TOKEN, or QINGYUN_TEST_INFLUX_USERNAME and _PASSWORD; for 2.x also',
  '    QINGYUN_TEST_INFLUX_ORG (test databases are created as buckets there, so use an operator token);',
  '  • run a Docker engine (docker info must work): the tests then start influxdb:2.7 with testcontainers.'
].join('\n')

type Teardown = () => Promise<void>
export interface Found {
  ctx: InfluxTestContext
  teardown: Teardown
  what: string
}

function envAuth(env: NodeJS.ProcessEnv): InfluxAuth | null {
  const token = env.QINGYUN_TEST_INFLUX_TOKEN
  if (token) return { token }
  const username = env.QINGYUN_TEST_INFLUX_USERNAME
  if (username) return { username, password: env.QINGYUN_TEST_INFLUX_PASSWORD ?? '' }
  return null
}

function authHeaders(auth: InfluxAuth | null): Record<string, string> {
  if (auth === null) return {}
  if ('token' in auth) return { Authorization: `Token ${auth.token}` }
  return { Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` }
}

/** Major version from /ping's X-Influxdb-Version ("1.6.7~rc0", "v2.7.11", "3.0.1"...). */
async function probe(url: string, auth: InfluxAuth | null): Promise<{ ok: boolean; major?: number; detail: string }> {
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}/ping`, {
      headers: authHeaders(auth),
      signal: AbortSignal.timeout(5_000)
    })
    await res.arrayBuffer()
    const version = res.headers.get('x-influxdb-version') ?? ''
    const m = /^v?(\d+)\./.exec(version)
    const major = m?.[1] === undefined ? undefined : Number(m[1])
    const ok = res.status === 204 || res.status === 200
    return major === undefined
      ? { ok, detail: `HTTP ${res.status}` }
      : { ok, major, detail: `HTTP ${res.status}, version ${version}` }
  } catch (err) {
    return { ok: false, detail: (err as Error).message }
  }
}

/** The URL without credentials, for messages and logs. */
function redact(url: string): string {
  try {
    const u = new URL(url)
    if (u.username === '' && u.password === '') return url
    u.username = ''
    u.password = ''
    return `${u.toString()} (credentials hidden)`
  } catch {
    return '(unparseable URL)'
  }
}

async function fromEnv(env: NodeJS.ProcessEnv): Promise<Found | undefined> {
  const raw = env.QINGYUN_TEST_INFLUX_URL
  if (!raw) return undefined
  const shown = redact(raw)
  let url = raw
  let auth = envAuth(env)
  // fetch refuses URLs with credentials: move them to Basic auth.
  const u = URL.canParse(raw) ? new URL(raw) : undefined
  if (u !== undefined && u.username !== '') {
    auth ??= { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) }
    u.username = ''
    u.password = ''
    url = u.toString().replace(/\/+$/, '')
  }
  const p = await probe(url, auth)
  if (!p.ok)
    throw new Error(
      `QINGYUN_TEST_INFLUX_URL=${shown} does not answer /ping (${p.detail}).\n${INFLUX_TEST_REQUIREMENTS}`
    )
  let influxV2: InfluxTestContext['influxV2'] = null
  if (p.major === 2) {
    const org = env.QINGYUN_TEST_INFLUX_ORG
    if (!org || auth === null || !('token' in auth)) {
      throw new Error(
        `QINGYUN_TEST_INFLUX_URL=${shown} is InfluxDB 2.x: set QINGYUN_TEST_INFLUX_ORG and QINGYUN_TEST_INFLUX_TOKEN (an operator or all-access token) so test databases can be created as buckets.`
      )
    }
    influxV2 = { org }
  }
  return {
    ctx: { influxUrl: url, influxAuth: auth, influxV2 },
    teardown: async () => {},
    what: `external InfluxDB at ${shown} (${p.detail})`
  }
}

async function fromLocalInfluxd(env: NodeJS.ProcessEnv, log: Log): Promise<Found | undefined> {
  const exe = findInfluxd(env.QINGYUN_TEST_INFLUXD ?? 'influxd')
  if (exe === undefined) return undefined
  const dataDir = await mkdtemp(join(tmpdir(), 'qingyun-influxd-'))
  try {
    const server = await startLocalInfluxd({ dataDir, log, influxdPath: exe })
    return {
      ctx: { influxUrl: server.url, influxAuth: null, influxV2: null },
      teardown: async () => {
        await server.stop()
        await rm(dataDir, { recursive: true, force: true })
      },
      what: `local ${exe} (pid ${server.pid}) at ${server.url}, data in ${dataDir}`
    }
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true })
    throw err
  }
}

// Written from the influxdb:2.7 image documentation and entrypoint; not exercised here (no Docker
// engine on the machine this was written on). The entrypoint runs `influx setup` against a
// temporary influxd on another port, so /ping 204 on 8086 means the final server is up and set up.
async function fromContainer(): Promise<Found | undefined> {
  const tc = await import('testcontainers')
  try {
    await tc.getContainerRuntimeClient()
  } catch {
    return undefined
  }
  const org = 'qingyun'
  const token = randomBytes(24).toString('hex')
  const container = await new tc.GenericContainer('influxdb:2.7')
    .withEnvironment({
      DOCKER_INFLUXDB_INIT_MODE: 'setup',
      DOCKER_INFLUXDB_INIT_USERNAME: 'qingyun',
      DOCKER_INFLUXDB_INIT_PASSWORD: randomBytes(12).toString('hex'), // ≥ 8 characters required
      DOCKER_INFLUXDB_INIT_ORG: org,
      DOCKER_INFLUXDB_INIT_BUCKET: 'qingyun',
      DOCKER_INFLUXDB_INIT_ADMIN_TOKEN: token
    })
    .withExposedPorts(8086)
    .withWaitStrategy(tc.Wait.forHttp('/ping', 8086).forStatusCode(204))
    .withStartupTimeout(120_000)
    .start()
  const url = `http://${container.getHost()}:${container.getMappedPort(8086)}`
  // Each test database becomes a bucket with an explicit DBRP mapping (test/harness/influxdb.ts);
  // the v1 /write and /query endpoints route by that mapping.
  return {
    ctx: { influxUrl: url, influxAuth: { token }, influxV2: { org } },
    teardown: async () => {
      await container.stop()
    },
    what: `testcontainers influxdb:2.7 at ${url}`
  }
}

/** Where the run's InfluxDB comes from, in the order above. `container` is a seam for the
 *  harness's own tests (they must not depend on whether this machine runs Docker). */
export async function findTestInflux(
  env: NodeJS.ProcessEnv,
  log: Log,
  container: () => Promise<Found | undefined> = fromContainer
): Promise<Found> {
  const found = (await fromEnv(env)) ?? (await fromLocalInfluxd(env, log)) ?? (await container())
  if (found === undefined) throw new Error(INFLUX_TEST_REQUIREMENTS)
  return found
}

export async function setup({ provide }: Pick<TestProject, 'provide'>): Promise<Teardown> {
  const env = process.env
  const log = pino({ name: 'test-influx', level: env.QINGYUN_TEST_LOG_LEVEL ?? 'warn' }, pino.destination(2))
  const found = await findTestInflux(env, log)
  log.info({ influx: found.what }, 'test InfluxDB ready')
  provide('influxUrl', found.ctx.influxUrl)
  provide('influxAuth', found.ctx.influxAuth)
  provide('influxV2', found.ctx.influxV2)
  return found.teardown
}
