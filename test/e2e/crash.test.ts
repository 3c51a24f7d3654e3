import { inject, expect, it } from 'vitest'
import { crashRun } from '../harness/crash.ts'
import { createTestDatabase } from '../harness/influxdb.ts'

// kill -9 of the node under load, twice, on real processes: every PUBACK was a promise that the
// message is on disk, so every acknowledged ticket must be in InfluxDB exactly once after the
// restarts. The long version (10 kills, minutes of load) is `npm run soak`.
it('loses no acknowledged message and stores none twice across kill -9 of the node', async () => {
  const db = await createTestDatabase('crash')
  try {
    const report = await crashRun({
      influxUrl: inject('influxUrl'),
      influxAuth: inject('influxAuth'),
      db: db.db,
      devices: 4,
      window: 4,
      kills: 2,
      upMs: [1500, 3000],
      rate: 0
    })
    expect(report.acked, 'the load ran').toBeGreaterThan(50)
    expect(report).toMatchObject({ lostAcked: 0, duplicated: 0, unknown: 0 })
  } finally {
    await db.drop()
  }
}, 120_000)
