import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from './config.ts'

describe('parseConfig', () => {
  it('has the documented defaults', () => {
    const c = parseConfig({}, '/srv/qy')
    expect(c).toMatchObject({
      mqttPort: 1883,
      httpPort: 8080,
      dataDir: '/srv/qy/data',
      registryPath: '/srv/qy/data/registry.json',
      registryIsDefault: true,
      influx: { url: undefined, db: 'qingyun', auth: undefined },
      tz: 'Asia/Shanghai',
      allowAnonymous: false,
      limits: { maxPayloadBytes: 262144, tsMaxFutureMs: 600_000, tsMaxAgeMs: 2_592_000_000 }
    })
  })

  it('reads every variable', () => {
    const c = parseConfig(
      {
        QINGYUN_MQTT_PORT: '2883',
        QINGYUN_HTTP_PORT: '0',
        QINGYUN_DATA_DIR: '/var/lib/qy',
        QINGYUN_REGISTRY: 'reg.json',
        QINGYUN_INFLUX_URL: 'http://influx:8086',
        QINGYUN_INFLUX_DB: 'city',
        QINGYUN_INFLUX_USERNAME: 'u',
        QINGYUN_INFLUX_PASSWORD: 'p',
        QINGYUN_TZ: 'Europe/Berlin',
        QINGYUN_ALLOW_ANONYMOUS: 'true'
      },
      '/x'
    )
    expect(c).toMatchObject({
      mqttPort: 2883,
      httpPort: 0,
      dataDir: '/var/lib/qy',
      registryPath: '/x/reg.json',
      registryIsDefault: false,
      influx: { url: 'http://influx:8086', db: 'city', auth: { username: 'u', password: 'p' } },
      tz: 'Europe/Berlin',
      allowAnonymous: true
    })
  })

  it.each([
    [{ QINGYUN_MQTT_PORT: 'abc' }, 'QINGYUN_MQTT_PORT="abc"'],
    [{ QINGYUN_HTTP_PORT: '70000' }, 'QINGYUN_HTTP_PORT="70000"'],
    [{ QINGYUN_TZ: 'Mars/Olympus' }, 'QINGYUN_TZ="Mars/Olympus": must be an IANA time zone'],
    [{ QINGYUN_INFLUX_URL: 'influx:8086' }, 'QINGYUN_INFLUX_URL'],
    [{ QINGYUN_MAX_JSON_DEPTH: '1' }, 'QINGYUN_MAX_JSON_DEPTH="1"'],
    [{ QINGYUN_ALLOW_ANONYMOUS: 'maybe' }, 'QINGYUN_ALLOW_ANONYMOUS="maybe": must be true or false'],
    [
      {
        QINGYUN_INFLUX_URL: 'http://i:8086',
        QINGYUN_INFLUX_TOKEN: 't',
        QINGYUN_INFLUX_USERNAME: 'u',
        QINGYUN_INFLUX_PASSWORD: 'p'
      },
      'not both'
    ],
    [{ QINGYUN_INFLUX_URL: 'http://i:8086', QINGYUN_INFLUX_USERNAME: 'u' }, 'set both or neither']
  ])('names the variable for %j', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError)
    expect(() => parseConfig(env)).toThrow(message)
  })
})

describe('parseConfig: dashboard-api protections', () => {
  it('has the documented defaults and reads each variable', () => {
    expect(parseConfig({}, '/srv/qy')).toMatchObject({
      influx: { queryTimeoutMs: 2_000, pingTimeoutMs: 1_000 },
      api: {
        trustProxy: false,
        docsPublic: false,
        authMaxFailures: 10,
        wsMaxBufferedBytes: 2 * 1024 * 1024,
        wsMaxConnectionsPerAddress: 64
      }
    })
    const c = parseConfig(
      {
        QINGYUN_INFLUX_QUERY_TIMEOUT_MS: '1500',
        QINGYUN_INFLUX_PING_TIMEOUT_MS: '500',
        QINGYUN_TRUST_PROXY: 'true',
        QINGYUN_DOCS_PUBLIC: 'yes',
        QINGYUN_AUTH_MAX_FAILURES: '20',
        QINGYUN_WS_MAX_BUFFERED_BYTES: '1048576',
        QINGYUN_WS_MAX_CONNECTIONS_PER_ADDRESS: '8',
        QINGYUN_TRACK_MAX_FIXES: '1000'
      },
      '/srv/qy'
    )
    expect(c.influx).toMatchObject({ queryTimeoutMs: 1500, pingTimeoutMs: 500 })
    expect(c.api).toEqual({
      trustProxy: true,
      docsPublic: true,
      authMaxFailures: 20,
      wsMaxBufferedBytes: 1048576,
      wsMaxConnectionsPerAddress: 8,
      trackMaxFixes: 1000
    })
  })

  it('takes the young generation from QINGYUN_SEMI_SPACE_MIB, 64 MiB by default', () => {
    expect(parseConfig({}).semiSpaceMiB).toBe(64)
    expect(parseConfig({ QINGYUN_SEMI_SPACE_MIB: '32' }).semiSpaceMiB).toBe(32)
  })

  it('names the variable of a bad value', () => {
    for (const [k, v] of [
      ['QINGYUN_SEMI_SPACE_MIB', '0'],
      ['QINGYUN_SEMI_SPACE_MIB', '2048'],
      ['QINGYUN_SEMI_SPACE_MIB', '32M'],
      ['QINGYUN_WS_MAX_BUFFERED_BYTES', '1k'],
      ['QINGYUN_TRUST_PROXY', 'maybe'],
      ['QINGYUN_INFLUX_QUERY_TIMEOUT_MS', '0']
    ] as const) {
      expect(() => parseConfig({ [k]: v }), k).toThrow(ConfigError)
      expect(() => parseConfig({ [k]: v })).toThrow(k)
    }
  })
})

describe('parseConfig: metrics', () => {
  it('leaves /metrics open by default, reads QINGYUN_METRICS_TOKEN, and names it when too short', () => {
    expect(parseConfig({}).metricsToken).toBeUndefined()
    expect(parseConfig({ QINGYUN_METRICS_TOKEN: 'a-long-enough-token' }).metricsToken).toBe('a-long-enough-token')
    expect(() => parseConfig({ QINGYUN_METRICS_TOKEN: 'short' })).toThrow(ConfigError)
    expect(() => parseConfig({ QINGYUN_METRICS_TOKEN: 'short' })).toThrow('QINGYUN_METRICS_TOKEN')
  })
})

describe('alert notification settings', () => {
  it('defaults, reads each, and names a bad value', () => {
    expect(parseConfig({}, '/srv/qy').notify).toEqual({
      file: undefined,
      queueMax: 100,
      maxAttempts: 6,
      retryMs: 2000,
      timeoutMs: 10_000
    })
    expect(
      parseConfig(
        {
          QINGYUN_NOTIFY_FILE: 'notify.json',
          QINGYUN_NOTIFY_QUEUE_MAX: '10',
          QINGYUN_NOTIFY_MAX_ATTEMPTS: '2',
          QINGYUN_NOTIFY_RETRY_MS: '50',
          QINGYUN_NOTIFY_TIMEOUT_MS: '1000'
        },
        '/srv/qy'
      ).notify
    ).toEqual({ file: '/srv/qy/notify.json', queueMax: 10, maxAttempts: 2, retryMs: 50, timeoutMs: 1000 })
    expect(() => parseConfig({ QINGYUN_NOTIFY_QUEUE_MAX: '0' })).toThrow(/QINGYUN_NOTIFY_QUEUE_MAX/)
    expect(() => parseConfig({ QINGYUN_NOTIFY_TIMEOUT_MS: 'soon' })).toThrow(ConfigError)
  })
})

describe('parseConfig: cluster mode', () => {
  const shared = { QINGYUN_INFLUX_URL: 'http://127.0.0.1:8086', QINGYUN_REGISTRY: '/srv/qingyun/registry.json' }
  it('is off without QINGYUN_REDIS_URL, and reads its variables with it', () => {
    expect(parseConfig({}).redis).toBeUndefined()
    expect(parseConfig({ ...shared, QINGYUN_REDIS_URL: 'redis://10.0.0.5:6379/2' }).redis).toEqual({
      url: 'redis://10.0.0.5:6379/2',
      alertLeaseTtlMs: 6000,
      offlineTtlS: 86_400
    })
    expect(
      parseConfig({
        ...shared,
        QINGYUN_REDIS_URL: 'rediss://r:6380',
        QINGYUN_ALERT_LEASE_TTL_MS: '3000',
        QINGYUN_REDIS_OFFLINE_TTL_S: '3600'
      }).redis
    ).toMatchObject({ alertLeaseTtlMs: 3000, offlineTtlS: 3600 })
  })

  it('names the variable of a bad value, and asks for a shared InfluxDB and registry', () => {
    for (const [k, v] of [
      ['QINGYUN_REDIS_URL', 'http://127.0.0.1:6379'],
      ['QINGYUN_ALERT_LEASE_TTL_MS', '10'],
      ['QINGYUN_REDIS_OFFLINE_TTL_S', '-1']
    ] as const) {
      expect(() => parseConfig({ ...shared, QINGYUN_REDIS_URL: 'redis://r:6379', [k]: v }), k).toThrow(k)
    }
    expect(() => parseConfig({ QINGYUN_REDIS_URL: 'redis://r:6379', QINGYUN_REGISTRY: 'r.json' })).toThrow(
      'QINGYUN_INFLUX_URL'
    )
    expect(() => parseConfig({ QINGYUN_REDIS_URL: 'redis://r:6379', QINGYUN_INFLUX_URL: 'http://i:8086' })).toThrow(
      'QINGYUN_REGISTRY'
    )
  })
})
