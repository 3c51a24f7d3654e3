// One fresh database per test file on the run's InfluxDB (test/harness/influx.ts provides it).
// 1.x: CREATE/DROP DATABASE. 2.x: a bucket plus an explicit DBRP mapping through the v2 API,
// because CREATE DATABASE is not available on its v1 compatibility API. 3.x creates a database on
// first write; drop() removes it through the v3 API when that exists.
import { randomBytes } from 'node:crypto'
import { inject } from 'vitest'
import { createInfluxClient, quoteIdent, type InfluxAuth, type InfluxClient } from '../../influx/client.ts'
import type { InfluxTestContext } from './influx.ts'

export interface TestDatabase {
  readonly client: InfluxClient
  readonly db: string
  readonly url: string
  readonly auth: InfluxAuth | undefined
  drop(): Promise<void>
}

/** A unique, identifier-safe name: prefix_<time>_<random>. */
export function uniqueDbName(prefix: string): string {
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'test'
  return `${clean}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`
}

async function v2(ctx: InfluxTestContext, method: string, path: string, body?: unknown): Promise<unknown> {
  const auth = ctx.influxAuth
  if (auth === null || !('token' in auth)) throw new Error('InfluxDB 2.x test databases need a token')
  const init: RequestInit = {
    method,
    headers: { Authorization: `Token ${auth.token}`, 'Content-Type': 'application/json' },
    signal: AbortSignal.timeout(10_000)
  }
  if (body !== undefined) init.body = JSON.stringify(body)
  const res = await fetch(`${ctx.influxUrl.replace(/\/+$/, '')}${path}`, init)
  const text = await res.text()
  if (!res.ok) throw new Error(`InfluxDB v2 API ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`)
  return text === '' ? undefined : JSON.parse(text)
}

async function createV2(ctx: InfluxTestContext, org: string, db: string): Promise<() => Promise<void>> {
  const orgs = (await v2(ctx, 'GET', `/api/v2/orgs?org=${encodeURIComponent(org)}`)) as { orgs?: { id: string }[] }
  const orgID = orgs.orgs?.[0]?.id
  if (orgID === undefined) throw new Error(`InfluxDB 2.x organisation ${JSON.stringify(org)} not found`)
  const bucket = (await v2(ctx, 'POST', '/api/v2/buckets', { orgID, name: db, retentionRules: [] })) as { id: string }
  // A bucket already has a virtual DBRP mapping (db = bucket name, rp = autogen) since 2.1; the
  // explicit mapping makes the test independent of that and marks autogen as the default RP.
  const dbrp = (await v2(ctx, 'POST', '/api/v2/dbrps', {
    orgID,
    bucketID: bucket.id,
    database: db,
    retention_policy: 'autogen',
    default: true
  })) as { id?: string; content?: { id?: string } }
  const dbrpId = dbrp.id ?? dbrp.content?.id
  return async () => {
    if (dbrpId !== undefined) await v2(ctx, 'DELETE', `/api/v2/dbrps/${dbrpId}?orgID=${orgID}`)
    await v2(ctx, 'DELETE', `/api/v2/buckets/${bucket.id}`)
  }
}

export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const ctx: InfluxTestContext = {
    influxUrl: inject('influxUrl'),
    influxAuth: inject('influxAuth'),
    influxV2: inject('influxV2')
  }
  const db = uniqueDbName(prefix)
  const auth = ctx.influxAuth ?? undefined
  const client = createInfluxClient(auth === undefined ? { url: ctx.influxUrl, db } : { url: ctx.influxUrl, db, auth })

  let drop: () => Promise<void>
  if (ctx.influxV2 !== null) {
    drop = await createV2(ctx, ctx.influxV2.org, db)
  } else if (await client.ensureDatabase()) {
    drop = async () => {
      await client.query(`DROP DATABASE ${quoteIdent(db)}`)
    }
  } else {
    // 3.x refuses CREATE DATABASE over InfluxQL and creates the database on first write.
    drop = async () => {
      const res = await fetch(`${client.url}/api/v3/configure/database?db=${encodeURIComponent(db)}`, {
        method: 'DELETE',
        headers: auth !== undefined && 'token' in auth ? { Authorization: `Bearer ${auth.token}` } : {},
        signal: AbortSignal.timeout(10_000)
      })
      await res.arrayBuffer()
    }
  }
  let dropped: Promise<void> | undefined
  return { client, db, url: ctx.influxUrl, auth, drop: () => (dropped ??= drop()) }
}
