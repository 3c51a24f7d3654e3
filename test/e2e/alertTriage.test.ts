// Alert triage on the whole node (startTestSystem): a bin overflow published over real MQTT,
// read over real HTTP in the reader's language with names, district, place and local times;
// filtered by lists; acknowledged in bulk with a note; the websocket alert channel shows it.
import { describe, expect, it, vi } from 'vitest'
import { WebSocket } from 'ws'
import type { Alert } from '../../contracts/ops.ts'
import { withSystem, type TestSystem } from '../harness/system.ts'

async function overflowAlert(t: TestSystem, token: string): Promise<Alert> {
  const fill = await t.device('fill-1')
  await fill.publishAsync('v1/devices/fill-1/fill', JSON.stringify({ ts: Date.now() - 1_000, seq: 1, fillPct: 125 }), {
    qos: 1
  })
  return vi.waitFor(
    async () => {
      const { body } = await t.api<Alert[]>('/api/v1/alerts?type=bin-overflow', token)
      const found = body.find((a) => a.subject.id === 'bin-1')
      expect(found).toBeDefined()
      return found!
    },
    { timeout: 15_000, interval: 100 }
  )
}

const localShanghai = (ms: number): string => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ')

describe('alert triage', () => {
  it('reads alerts in zh by default and en on request: names, district, place, local times; no ids, no UTC', async () => {
    const t = await withSystem()
    const viewer = await t.token('viewer')
    const a = await overflowAlert(t, viewer)
    expect(a).toMatchObject({
      lang: 'zh',
      subject: { kind: 'bin', id: 'bin-1', name: '梁溪区厨余垃圾桶 1 号' },
      district: '梁溪',
      location: { lon: 120.31, lat: 31.58 },
      value: 125,
      limit: 100,
      unit: '%',
      message: '梁溪区厨余垃圾桶 1 号已满溢：满度 125%'
    })
    expect(a.local?.openedAt).toBe(localShanghai(a.openedAt))

    const en = await t.api<Alert[]>('/api/v1/alerts?type=bin-overflow&lang=en', viewer)
    expect(en.body[0]!.message).toBe('kitchen waste bin no. 1 in Liangxi District is overflowing: fill 125 %')
    const byHeader = await t.api<Alert[]>('/api/v1/alerts?type=bin-overflow', viewer, {
      headers: { 'accept-language': 'en-GB,en;q=0.9,zh;q=0.5' }
    })
    expect(byHeader.body[0]!.lang).toBe('en')
    for (const m of [a.message, en.body[0]!.message]) {
      expect(m).not.toContain('bin-1')
      expect(m).not.toMatch(/\d{4}-\d\d-\d\dT|Z\b/)
    }
  })

  it('filters by lists (repeated or comma-separated) and answers 400 naming an unknown value', async () => {
    const t = await withSystem()
    const viewer = await t.token('viewer')
    const a = await overflowAlert(t, viewer)
    const ids = async (q: string) => (await t.api<Alert[]>(`/api/v1/alerts?${q}`, viewer)).body.map((x) => x.id)
    expect(await ids(`district=${encodeURIComponent('梁溪')}&severity=critical,warning`)).toContain(a.id)
    expect(await ids(`district=${encodeURIComponent('锡山')}`)).not.toContain(a.id)
    expect(await ids('type=bin-near-full&type=bin-overflow&state=open')).toContain(a.id)
    expect(await ids('type=bin-near-full&state=resolved')).not.toContain(a.id)
    for (const [q, param] of [
      ['type=bin-overflow,nope', 'type'],
      ['district=Atlantis', 'district'],
      ['severity=loud', 'severity'],
      ['state=closed', 'state']
    ] as const) {
      const r = await t.api<{ error: { code: string; details: { issues: { path: string }[] } } }>(
        `/api/v1/alerts?${q}`,
        viewer
      )
      expect(r.status, q).toBe(400)
      expect(r.body.error.code).toBe('API_E_VALIDATION')
      expect(r.body.error.details.issues[0]!.path.split('.')[0]).toBe(param)
    }
  })

  it('bulk acknowledge with a note, by the operator; the websocket alert channel reflects it', async () => {
    const t = await withSystem()
    const [viewer, operator] = [await t.token('viewer'), await t.token('operator')]
    const a = await overflowAlert(t, viewer)

    const ws = new WebSocket(`${t.httpUrl.replace('http', 'ws')}/api/v1/ws`, {
      headers: { authorization: `Bearer ${viewer}` }
    })
    const seen: { type: string; data?: { items?: Alert[] } }[] = []
    ws.on('message', (b: Buffer) => seen.push(JSON.parse(b.toString())))
    await new Promise((resolve) => ws.once('open', resolve))
    ws.send(JSON.stringify({ type: 'subscribe', id: 'al', channel: 'alerts', params: { state: 'open' } }))
    await vi.waitFor(() => expect(seen.some((m) => m.type === 'snapshot')).toBe(true), { timeout: 5_000 })

    const post = (token: string, body: unknown) =>
      t.api<{ acknowledged: Alert[]; unknown: string[] }>('/api/v1/alerts/ack', token, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body)
      })
    expect((await post(viewer, { ids: [a.id], note: 'x' })).status).toBe(403)
    expect((await post(operator, { ids: Array.from({ length: 501 }, (_, i) => `id-${i}`), note: '' })).status).toBe(400)
    expect((await post(operator, { ids: [a.id], note: 'x'.repeat(501) })).status).toBe(400)

    const r = await post(operator, { ids: [a.id, 'no-such-alert'], note: '已派车清运' })
    expect(r.status).toBe(200)
    expect(r.body.unknown).toEqual(['no-such-alert'])
    expect(r.body.acknowledged).toMatchObject([
      { id: a.id, acknowledgedNote: '已派车清运', acknowledgedAt: expect.any(Number), local: expect.any(Object) }
    ])
    const by = r.body.acknowledged[0]!.acknowledgedBy
    expect(by).toMatch(/^test-operator-/)
    // Stored: the list reads it back, and a second acknowledgement keeps the first.
    const again = await post(operator, { ids: [a.id], note: 'later' })
    expect(again.body.acknowledged[0]).toMatchObject({ acknowledgedNote: '已派车清运', acknowledgedBy: by })
    await vi.waitFor(
      () => {
        const delta = seen.filter((m) => m.type === 'delta').flatMap((m) => m.data?.items ?? [])
        expect(delta.find((x) => x.id === a.id)).toMatchObject({ acknowledgedBy: by, acknowledgedNote: '已派车清运' })
      },
      { timeout: 5_000 }
    )
    ws.close()
  })
})

describe('never reported is not offline', () => {
  it('a device that never sent anything is "never reported" in completeness and raises no offline alert', async () => {
    // Offline after 1 ms of silence for every type: anything that had reported would be offline at once.
    const t = await withSystem()
    const admin = await t.token('admin')
    const viewer = await t.token('viewer')
    const rules = await t.api('/api/v1/admin/rules', admin, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ offlineAfterMs: { weighbridge: 1, 'fill-sensor': 1, 'gps-tracker': 1 } })
    })
    expect(rules.status).toBe(200)
    const fill = await t.device('fill-1')
    await fill.publishAsync('v1/devices/fill-1/fill', JSON.stringify({ ts: Date.now() - 5_000, seq: 1, fillPct: 10 }), {
      qos: 1
    })
    await t.forwarded()
    const offline = await vi.waitFor(
      async () => {
        const { body } = await t.api<Alert[]>('/api/v1/alerts?type=device-offline', viewer)
        expect(body.length).toBeGreaterThan(0)
        return body
      },
      { timeout: 15_000, interval: 100 }
    )
    expect(offline.map((a) => a.subject.id)).toEqual(['fill-1'])
    const rows = await t.api<{ key: string; neverReported?: boolean }[]>('/api/v1/completeness?by=device', viewer)
    const flag = Object.fromEntries(rows.body.map((r) => [r.key, r.neverReported]))
    expect(flag).toMatchObject({ 'fill-1': false, 'wb-1': true, 'gps-1': true })
  })
})
