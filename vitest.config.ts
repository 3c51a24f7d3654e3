import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'data/**'],
    // One real InfluxDB for the whole run (QINGYUN_TEST_INFLUX_URL, a local influxd, or
    // testcontainers); each test file uses its own database.
    globalSetup: ['test/harness/influx.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    env: { QINGYUN_LOG_LEVEL: 'silent' }
  }
})
