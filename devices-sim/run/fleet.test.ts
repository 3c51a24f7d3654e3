import { expect, it } from 'vitest'
import { withSystem } from '../../test/harness/system.ts'
import { createFleet } from './fleet.ts'

// A simulated device keeps a bounded window of QoS 1 publishes in flight, as a real device's
// outbox does: more wait for a PUBACK to free a slot.
it('keeps at most `window` publishes in flight per device, and delivers them all', async () => {
  const t = await withSystem()
  const fleet = createFleet({ url: t.mqttUrl, credentials: { 'fill-1': t.tokens['fill-1']! }, window: 3 })
  await fleet.connect()
  try {
    let most = 0
    const base = Date.now() - 60_000
    const all = Array.from({ length: 40 }, (_, i) => {
      const p = fleet.publish('fill-1', 'v1/devices/fill-1/fill', JSON.stringify({ ts: base + i, seq: i, fillPct: 10 }))
      most = Math.max(most, fleet.stats().inFlight)
      return p.then(() => {
        most = Math.max(most, fleet.stats().inFlight)
      })
    })
    await Promise.all(all)
    expect(most).toBe(3)
    expect(fleet.stats().inFlight).toBe(0)
    await t.forwarded()
    const [r] = await t.db.client.query('SELECT count(fill_pct) AS n FROM fill', { epoch: 'ms' })
    expect(r?.series?.[0]?.values?.[0]?.[1]).toBe(40)
  } finally {
    await fleet.close()
  }
})
