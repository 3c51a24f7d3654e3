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
    // Two test files at a time: most of a file's time is spent waiting on influxd, a broker or
    // a browser, so two overlap well even on two cores (vitest's default is cores - 1).
    maxWorkers: 2,
    reporters: ['default'],
    env: { QINGYUN_LOG_LEVEL: 'silent' }
  }
})
