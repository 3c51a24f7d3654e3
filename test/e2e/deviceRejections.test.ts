import { describe, expect, it } from 'vitest'
import type { CompletenessRow } from '../../contracts/ops.ts'
import type { DeviceRejections } from '../../contracts/rejection.ts'
import { deviceTopic } from '../../contracts/topics.ts'
import { withSystem } from '../harness/system.ts'
import { ticket } from '../fixtures/messages.ts'

// A device's rejections of the day over REST, from what a real weighbridge published over MQTT:
// each rejected object with its reason code and the fields it names, newest first, a bounded
// page at a time, the same number the completeness report counts.

describe('GET /api/v1/devices/:id/rejections', () => {
  it('lists a real device’s rejected objects with codes and field paths, newest first, in pages', async () => {
    const t = await withSystem()
    const viewer = await t.token('viewer')
    const wb1 = await t.device('wb-1')
    const wb2 = await t.device('wb-2')
    const topic = deviceTopic('wb-1', 'weighing')
    const bad = { ...ticket('T-bad'), netKg: 'eight tonnes', plate: undefined }
    // A batch: the good ticket is stored, the bad one rejected alone with the fields it got wrong.
    await wb1.publishAsync(topic, JSON.stringify([ticket('T-good'), bad]), { qos: 1 })
    await wb1.publishAsync(topic, '{not json', { qos: 1 })
    await wb1.publishAsync(topic, JSON.stringify(ticket('T-future', { ts: Date.now() + 3 * 3_600_000 })), { qos: 1 })
    await wb2.publishAsync(deviceTopic('wb-2', 'weighing'), '[]', { qos: 1 })
    await t.forwarded()

    const r = await t.api<DeviceRejections>('/api/v1/devices/wb-1/rejections', viewer)
    expect(r.status).toBe(200)
    const { items } = r.body
    expect(items).toHaveLength(3)
    expect(r.body.nextCursor).toBeNull()
    expect(items.map((i) => i.at)).toEqual(items.map((i) => i.at).sort((a, b) => b - a))
    const byCode = Object.fromEntries(items.map((i) => [i.code, i]))
    expect(byCode.INGEST_E_SCHEMA).toMatchObject({
      kind: 'weighing',
      topic,
      index: 1,
      paths: expect.arrayContaining(['netKg', 'plate']),
      message: expect.stringContaining('netKg')
    })
    expect(byCode.INGEST_E_SCHEMA!.paths).toHaveLength(2)
    expect(byCode.INGEST_E_SCHEMA!.excerpt).toContain('T-bad')
    expect(byCode.INGEST_E_JSON).toMatchObject({ paths: [], index: null, eventMs: null, excerpt: '{not json' })
    expect(byCode.INGEST_E_TS_RANGE).toMatchObject({ paths: ['ts'], message: expect.stringContaining('ahead') })

    // The same number the completeness report counts for the device.
    const c = await t.api<CompletenessRow[]>('/api/v1/completeness?by=device', viewer)
    const row = c.body.find((x) => x.key === 'wb-1')
    expect(row?.rejectedTotal).toBe(3)

    // Pages of one, following the cursor, give the same three in the same order.
    const seen: DeviceRejections['items'] = []
    let cursor: string | null = null
    for (let page = 0; page < 5; page++) {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
      const p = await t.api<DeviceRejections>(`/api/v1/devices/wb-1/rejections?limit=1${q}`, viewer)
      expect(p.status).toBe(200)
      seen.push(...p.body.items)
      cursor = p.body.nextCursor
      if (!cursor) break
    }
    expect(seen).toEqual(items)

    // Another device's, another day's, and the bounds.
    const other = await t.api<DeviceRejections>('/api/v1/devices/wb-2/rejections', viewer)
    expect(other.body.items.map((i) => i.code)).toEqual(['INGEST_E_SHAPE'])
    const yesterday = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10)
    const past = await t.api<DeviceRejections>(`/api/v1/devices/wb-1/rejections?date=${yesterday}`, viewer)
    expect(past.body).toEqual({ deviceId: 'wb-1', day: yesterday, items: [], nextCursor: null })
    expect((await t.api('/api/v1/devices/nope/rejections', viewer)).status).toBe(404)
    for (const q of ['limit=501', 'limit=0', 'cursor=x', "cursor=2026-01-01T00:00:00Z' OR 1=1"]) {
      const b = await t.api<{ error: { code: string } }>(`/api/v1/devices/wb-1/rejections?${q}`, viewer)
      expect(b.status, q).toBe(400)
      expect(b.body.error.code).toBe('API_E_VALIDATION')
    }
    expect((await fetch(`${t.httpUrl}/api/v1/devices/wb-1/rejections`)).status).toBe(401)
  })
})
