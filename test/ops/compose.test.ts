import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ConfigEnv } from '../../lib/config.ts'

// What can be checked of docker-compose.yml and ops/ without a Docker engine: the file against
// the README's Docker section, the configuration table and lib/config.ts; HAProxy's own check;
// the targets of HAProxy, Prometheus and Grafana against the compose services.

const run = promisify(execFile)
const root = new URL('../../', import.meta.url)
const read = (file: string): Promise<string> => readFile(new URL(file, root), 'utf8')

/** Variables the compose file sets for a part built on another branch (cluster mode), which
 *  adds them to lib/config.ts and the README's table. Remove a name once both have it. */
const NOT_YET_IN_CONFIG = new Set(['QINGYUN_REDIS_URL'])

interface Service {
  image?: string
  build?: unknown
  ports?: string[]
  environment?: Record<string, string>
  volumes?: string[]
}

async function compose(): Promise<Record<string, Service>> {
  // merge: the nodes share one definition through a YAML merge key (<<: *qingyun-node).
  const doc = parse(await read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> }
  return doc.services
}

/** The host side of a published port: "127.0.0.1:8086:8086" → 8086, "1883:1883" → 1883. */
const hostPort = (spec: string): number => Number(spec.split(':').at(-2))
const containerPort = (spec: string): number => Number(spec.split(':').at(-1))

/** The README's Docker section: its services table, service name → the published ports it lists. */
async function readmeServices(): Promise<Map<string, number[]>> {
  const readme = await read('README.md')
  const section = readme.slice(readme.indexOf('\n## Docker\n'))
  const rows = section.split('\n').filter((l) => /^\| `[a-z0-9-]+`/.test(l))
  const out = new Map<string, number[]>()
  for (const row of rows) {
    const [names = '', , ports = ''] = row.split('|').slice(1)
    const published = [...ports.matchAll(/`(\d+)`/g)].map((m) => Number(m[1]))
    for (const m of names.matchAll(/`([a-z0-9-]+)`/g)) out.set(m[1]!, published)
  }
  return out
}

/** Every QINGYUN_* name in the README's configuration table. */
async function readmeConfigVariables(): Promise<Set<string>> {
  const readme = await read('README.md')
  const start = readme.indexOf('\n## Configuration\n')
  const table = readme.slice(start, readme.indexOf('\n## ', start + 1))
  return new Set(
    [...table.matchAll(/^\| `(QINGYUN_[A-Z0-9_]+)`(?:, `(QINGYUN_[A-Z0-9_]+)`)?/gm)].flatMap((m) => m.slice(1))
  )
}

function haproxyBinary(): string {
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/sbin')) {
    if (dir && existsSync(`${dir}/haproxy`)) return `${dir}/haproxy`
  }
  throw new Error('haproxy is not installed: apt-get install -y haproxy (npm test installs it)')
}

describe('docker-compose.yml', () => {
  it('has the services and published ports the README lists', async () => {
    const services = await compose()
    const readme = await readmeServices()
    expect(Object.keys(services).sort()).toEqual([...readme.keys()].sort())
    for (const [name, service] of Object.entries(services)) {
      expect({ name, ports: (service.ports ?? []).map(hostPort).sort() }).toEqual({
        name,
        ports: [...readme.get(name)!].sort()
      })
    }
  })

  it('sets only real QINGYUN_* variables, each in the README configuration table', async () => {
    const services = await compose()
    const documented = await readmeConfigVariables()
    const used = new Set(
      Object.values(services).flatMap((s) => Object.keys(s.environment ?? {}).filter((k) => k.startsWith('QINGYUN_')))
    )
    expect(used.size).toBeGreaterThan(5)
    const known = new Set(Object.keys(ConfigEnv.shape))
    expect([...used].filter((v) => !known.has(v) && !NOT_YET_IN_CONFIG.has(v))).toEqual([])
    expect([...used].filter((v) => !documented.has(v) && !NOT_YET_IN_CONFIG.has(v))).toEqual([])
    // The nodes reach the compose services by name.
    const node = services['qingyun-1']!.environment!
    expect(new URL(node.QINGYUN_INFLUX_URL!).hostname).toBe('influxdb')
    expect(new URL(node.QINGYUN_REDIS_URL!).hostname).toBe('redis')
  })

  it("the nodes' database and v1 login are the ones InfluxDB's init script creates", async () => {
    const services = await compose()
    const influx = services.influxdb!
    expect(influx.image).toMatch(/^influxdb:2\.7/)
    const env = influx.environment!
    expect(env.DOCKER_INFLUXDB_INIT_MODE).toBe('setup')
    for (const name of ['qingyun-1', 'qingyun-2']) {
      const node = services[name]!.environment!
      expect(node.QINGYUN_INFLUX_DB).toBe(env.V1_DB_NAME)
      expect(node.QINGYUN_INFLUX_USERNAME).toBe(env.V1_AUTH_USERNAME)
      expect(node.QINGYUN_INFLUX_PASSWORD).toBe(env.V1_AUTH_PASSWORD)
    }
    expect(influx.volumes).toContain('./ops/influxdb/init:/docker-entrypoint-initdb.d:ro')
    const script = 'ops/influxdb/init/10-qingyun-v1.sh'
    // The image runs only executable *.sh files there (run-parts).
    expect((await stat(new URL(script, root))).mode & 0o111).not.toBe(0)
    const text = await read(script)
    expect(text).toMatch(/influx v1 dbrp create/)
    expect(text).toMatch(/influx v1 auth create/)
    await run('bash', ['-n', new URL(script, root).pathname])
  })
})

describe('ops/haproxy.cfg', () => {
  it('passes haproxy -c and balances over the compose nodes on their real ports', async () => {
    const cfg = new URL('ops/haproxy.cfg', root).pathname
    // Warnings (the node names do not resolve outside compose) are fine; errors exit non-zero.
    const { stdout, stderr } = await run(haproxyBinary(), ['-c', '-f', cfg])
    expect(stdout + stderr).toMatch(/Configuration file is valid/)

    const services = await compose()
    const text = await read('ops/haproxy.cfg')
    const defaults = ConfigEnv.parse({})
    const nodePorts = [defaults.QINGYUN_MQTT_PORT, defaults.QINGYUN_MQTT_WS_PORT, defaults.QINGYUN_HTTP_PORT]
    const servers = [...text.matchAll(/^\s*server \S+ ([a-z0-9-]+):(\d+)/gm)]
    expect(servers.length).toBe(6)
    for (const [, host, port] of servers) {
      expect(services[host!]?.build).toBeDefined()
      expect(nodePorts).toContain(Number(port))
    }
    const binds = [...text.matchAll(/^\s*bind :(\d+)/gm)].map((m) => Number(m[1])).sort()
    expect(binds).toEqual((services.haproxy!.ports ?? []).map(containerPort).sort())
    expect(services.haproxy!.volumes).toContain('./ops/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro')
    expect(text).toMatch(/option httpchk GET \/readyz/)
  })
})

describe('ops/prometheus.yml and ops/grafana', () => {
  it('scrapes every node, and Grafana reads that Prometheus with the dashboard provisioned', async () => {
    const services = await compose()
    const nodes = Object.keys(services).filter((n) => services[n]!.build !== undefined)
    expect(nodes.sort()).toEqual(['qingyun-1', 'qingyun-2'])
    const prom = parse(await read('ops/prometheus.yml')) as {
      scrape_configs: { metrics_path?: string; static_configs: { targets: string[] }[] }[]
    }
    const targets = prom.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets))
    const http = ConfigEnv.parse({}).QINGYUN_HTTP_PORT
    expect(targets.sort()).toEqual(nodes.map((n) => `${n}:${http}`))
    expect(prom.scrape_configs[0]!.metrics_path).toBe('/metrics')
    if (existsSync('/usr/bin/promtool')) {
      await run('/usr/bin/promtool', ['check', 'config', new URL('ops/prometheus.yml', root).pathname])
    }

    const ds = parse(await read('ops/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; url: string }[]
    }
    expect(new URL(ds.datasources[0]!.url).hostname).toBe('prometheus')
    const dashboard = JSON.parse(await read('ops/grafana/qingyun.json')) as {
      panels: { datasource?: { uid: string } }[]
    }
    for (const p of dashboard.panels) if (p.datasource) expect(p.datasource.uid).toBe(ds.datasources[0]!.uid)
    const provider = parse(await read('ops/grafana/provisioning/dashboards/qingyun.yml')) as {
      providers: { options: { path: string } }[]
    }
    const mounts = services.grafana!.volumes ?? []
    expect(mounts).toContain(`./ops/grafana/qingyun.json:${provider.providers[0]!.options.path}/qingyun.json:ro`)
    expect(mounts).toContain('./ops/grafana/provisioning:/etc/grafana/provisioning:ro')
  })
})

describe('Dockerfile', () => {
  it('runs production dependencies as node, with a writable data dir and a health check', async () => {
    const text = await read('Dockerfile')
    expect(text).toMatch(/RUN npm run build --if-present/)
    expect(text).toMatch(/npm ci --omit=dev/)
    expect(text).toMatch(/^USER node$/m)
    // The data dir is created and given to node before VOLUME (a volume copies its ownership).
    const chown = text.indexOf('chown node:node /var/lib/qingyun')
    expect(chown).toBeGreaterThan(0)
    expect(chown).toBeLessThan(text.indexOf('VOLUME /var/lib/qingyun'))
    expect(text).toMatch(/HEALTHCHECK[\s\S]*\/readyz/)
    const defaults = ConfigEnv.parse({})
    const exposed = /^EXPOSE (.+)$/m.exec(text)![1]!.split(/\s+/).map(Number).sort()
    expect(exposed).toEqual(
      [defaults.QINGYUN_MQTT_PORT, defaults.QINGYUN_MQTT_WS_PORT, defaults.QINGYUN_HTTP_PORT].sort()
    )
  })
})
