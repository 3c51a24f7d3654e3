// Alert notifications on the whole node: QINGYUN_NOTIFY_FILE names a signed webhook on a local
// HTTP receiver; a bin overflow published over real MQTT reaches it, and REST lists what was sent.
import { createHmac } from 'node:crypto'
import { writeFile, mkdtemp } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { expect, it, onTestFinished, vi } from 'vitest'
import { loadNotifyConfig } from '../../dashboard-api/notify/config.ts'
import { withSystem } from '../harness/system.ts'

it('sends a signed webhook for a new critical alert and records it', async () => {
  const got: { headers: Record<string, unknown>; body: string }[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => new Promise((resolve) => server.close(() => resolve())))
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-notify-'))
  const file = path.join(dir, 'notify.json')
  const secret = 'e2e-webhook-secret'
  await writeFile(
    file,
    JSON.stringify({
      channels: [
        { id: 'ops', type: 'webhook', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/h`, secret }
      ],
      rules: [{ channels: ['ops'], severities: ['critical'] }]
    })
  )
  const t = await withSystem({ env: { QINGYUN_NOTIFY_FILE: file } })
  const viewer = await t.token('viewer')
  const fill = await t.device('fill-1')
  await fill.publishAsync('v1/devices/fill-1/fill', JSON.stringify({ ts: Date.now() - 1_000, seq: 1, fillPct: 125 }), {
    qos: 1
  })
  await vi.waitFor(() => expect(got.length).toBeGreaterThan(0), { timeout: 15_000, interval: 100 })
  const [hook] = got
  expect(hook!.headers['x-qingyun-signature']).toBe(
    `sha256=${createHmac('sha256', secret).update(hook!.body).digest('hex')}`
  )
  const body = JSON.parse(hook!.body)
  expect(body).toMatchObject({ event: 'opened', alert: { type: 'bin-overflow', subject: { id: 'bin-1' } } })
  const records = await vi.waitFor(
    async () => {
      const r = await t.api<{ state: string; alertId: string }[]>('/api/v1/alerts/notifications?channel=ops', viewer)
      expect(r.body[0]?.state).toBe('sent')
      return r.body
    },
    { timeout: 5_000 }
  )
  expect(records[0]!.alertId).toBe(body.alert.id)
  // No endpoint or secret in what the REST API shows.
  const raw = JSON.stringify(records)
  expect(raw).not.toContain(secret)
  expect(raw).not.toContain('127.0.0.1')
})

it('a bad notification file stops the start with a message naming the variable and the field', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-notify-'))
  const file = path.join(dir, 'notify.json')
  await writeFile(
    file,
    JSON.stringify({
      channels: [{ id: 'x', type: 'webhook', url: 'http://127.0.0.1:9/h', secret: 'short' }],
      rules: [{ channels: ['nope'] }]
    })
  )
  const err = await loadNotifyConfig(file).catch((e: Error) => e)
  expect(String((err as Error).message)).toMatch(/QINGYUN_NOTIFY_FILE=.*channels\.0\.secret/)
  expect(String((err as Error).message)).toMatch(/rules\.0\.channels\.0: no channel nope/)
  expect(String((err as Error).message)).not.toContain('short"')
})
