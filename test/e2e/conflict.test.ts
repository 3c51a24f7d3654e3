import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { rows } from '../../influx/client.ts'
import { createTestDatabase } from '../harness/influxdb.ts'
import { startTestSystem, type TestSystem } from '../harness/system.ts'
import { ticket } from '../fixtures/messages.ts'

// A retransmission with other content (the same ticket and time, another weight): the live
// numbers and the stored ones follow one rule — last write wins by point identity — so they are
// equal before and after a restart, and the conflict is counted and listed.

interface Row {
  key: string
  conflicts: number
  duplicates: number
  accepted: number
  conflictDetails?: { ticketId?: string; previous: string; current: string }[]
}

async function numbers(t: TestSystem, token: string) {
  const get = async <T>(p: string): Promise<T> => {
    const r = await t.api<T>(p, token)
    expect(r.status, p).toBe(200)
    return r.body
  }
  const balance = await get<Record<string, unknown>>('/api/v1/sites/ts-1/balance')
  const city = await get<Record<string, unknown>>('/api/v1/city')
  return {
    balance: {
      inT: balance.inT,
      outT: balance.outT,
      stockT: balance.stockT,
      openingT: balance.openingT,
      ticketsIn: balance.ticketsIn,
      ticketsOut: balance.ticketsOut
    },
    city: { inT: city.inT, outT: city.outT },
    hourly: await get<unknown[]>('/api/v1/sites/ts-1/hourly'),
    byDevice: await get<Row[]>('/api/v1/completeness?by=device'),
    bySite: await get<Row[]>('/api/v1/completeness?by=site')
  }
}

describe('a ticket sent again with another weight', () => {
  it('shows the last weight live, in InfluxDB and after a restart, and counts one conflict', async () => {
    const db = await createTestDatabase('conflict')
    onTestFinished(() => db.drop())
    const ts = new Date(Date.now() - 120_000).toISOString()
    const a = ticket('T-C1', { ts, seq: 1 })
    const a2 = { ...a, grossKg: 19_240, netKg: 9120 }

    const t1 = await startTestSystem({ db })
    let before
    try {
      const wb = await t1.device('wb-1')
      await wb.publishAsync('v1/devices/wb-1/weighing', JSON.stringify(a), { qos: 1 })
      await wb.publishAsync('v1/devices/wb-1/weighing', JSON.stringify(a2), { qos: 1 })
      const token = await t1.token('viewer')
      before = await vi.waitFor(
        async () => {
          const n = await numbers(t1, token)
          expect(n.byDevice.find((r) => r.key === 'wb-1')?.conflicts).toBe(1)
          return n
        },
        { timeout: 15_000, interval: 100 }
      )
      await t1.forwarded() // acknowledged means durable in the spool; InfluxDB follows
      const [stored] = await t1.db.client.query('SELECT "net_kg" FROM "weighing"', { epoch: 'ms' })
      expect(rows(stored).map((r) => r.net_kg)).toEqual([9120])
    } finally {
      await t1.stop()
    }
    expect(before.balance).toMatchObject({ inT: 9.12, ticketsIn: 1 })
    expect(before.city).toMatchObject({ inT: 9.12 })
    expect(before.byDevice.find((r) => r.key === 'wb-1')).toMatchObject({ accepted: 1, duplicates: 0, conflicts: 1 })
    expect(before.byDevice.find((r) => r.key === 'wb-1')?.conflictDetails).toEqual([
      expect.objectContaining({
        ticketId: 'T-C1',
        previous: expect.stringContaining('net_kg=8120') as string,
        current: expect.stringContaining('net_kg=9120') as string
      })
    ])
    expect(before.bySite.find((r) => r.key === 'ts-1')).toMatchObject({ conflicts: 1 })

    const t2 = await startTestSystem({ db })
    try {
      const after = await numbers(t2, await t2.token('viewer'))
      expect(after).toEqual(before)
    } finally {
      await t2.stop()
    }
  })
})
