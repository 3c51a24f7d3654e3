// Several in-process nodes on one private Redis (test/harness/redis.ts) and one InfluxDB database:
// what `QINGYUN_REDIS_URL` builds, on free loopback ports, sharing one registry file.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { onTestFinished } from 'vitest'
import { startTestRedis, type TestRedis } from './redis.ts'
import { startTestSystem, type TestSystem } from './system.ts'

export interface TestCluster {
  readonly redis: TestRedis
  readonly nodes: TestSystem[]
  /** Device tokens of the shared registry. */
  readonly tokens: Record<string, string>
  /** An mqtt.js client for a device on node `i`, ended after the test. */
  device(i: number, id: string, opts?: IClientOptions): Promise<MqttClient>
  /** Everything acknowledged on every node is in InfluxDB. */
  forwarded(): Promise<void>
}

export async function withCluster(n: number, env: Record<string, string> = {}): Promise<TestCluster> {
  const redis = await startTestRedis()
  onTestFinished(() => redis.stop())
  const clusterEnv = { QINGYUN_REDIS_URL: redis.url, ...env }
  const first = await startTestSystem({ env: clusterEnv })
  const nodes: TestSystem[] = [first]
  // Stopped in reverse, the first (which owns the database) last.
  onTestFinished(async () => {
    for (const t of [...nodes].reverse()) await t.stop().catch(() => undefined)
  })
  for (let i = 1; i < n; i++) {
    nodes.push(await startTestSystem({ db: first.db, env: { ...clusterEnv, QINGYUN_REGISTRY: first.registryPath } }))
  }
  const clients: MqttClient[] = []
  onTestFinished(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)))
  })
  return {
    redis,
    nodes,
    tokens: first.tokens,
    async device(i, id, opts = {}) {
      const c = await mqtt.connectAsync(nodes[i]!.mqttUrl, {
        username: id,
        password: first.tokens[id],
        clientId: `${id}-c${clients.length}`,
        reconnectPeriod: 0,
        ...opts
      })
      clients.push(c)
      return c
    },
    async forwarded() {
      for (const t of nodes) await t.forwarded()
    }
  }
}
