import { describe, expect, it } from 'vitest'
import { withSystem } from '../harness/system.ts'

// Dates and ranges in user input are bounded before they reach lib/time.ts or InfluxDB
// (dashboard-api/routes/schemas.ts): the whole node (node/system.ts) on a real InfluxDB, real
// HTTP requests. An unhandled rejection anywhere in the node fails this file (vitest reports it).

type ErrorReply = { error: { code: string; message: string; details?: { issues?: { path: string }[] } } }

describe('dates in user input', () => {
  it('answers 400 API_E_VALIDATION naming the parameter for far-future and too-early dates, and the node keeps serving', async () => {
    const t = await withSystem()
    const token = await t.token('viewer')
    const bad: [string, string][] = [
      ['/api/v1/city?date=9999-12-31', 'date'],
      ['/api/v1/sites?date=9999-12-31', 'date'],
      ['/api/v1/sites/ts-1/balance?date=9999-12-31', 'date'],
      ['/api/v1/sites/ts-1/hourly?date=0001-01-01', 'date'],
      ['/api/v1/sites/ts-1/tickets?date=9999-12-31', 'date'],
      ['/api/v1/recyclables?date=9999-12-31', 'date'],
      ['/api/v1/completeness?date=1969-12-31', 'date'],
      ['/api/v1/history?to=9999-12-31', 'to'],
      ['/api/v1/history?from=1000-01-01&to=1000-01-02', 'from'],
      ['/api/v1/alerts?day=9999-12-31', 'day']
    ]
    for (const [url, param] of bad) {
      const r = await t.api<ErrorReply>(url, token)
      expect({ url, status: r.status, code: r.body.error?.code }).toEqual({
        url,
        status: 400,
        code: 'API_E_VALIDATION'
      })
      expect(r.body.error.details?.issues?.map((i) => i.path)).toContain(param)
    }
    // Still alive and answering.
    expect((await t.api('/api/v1/city', token)).status).toBe(200)
    expect((await t.api('/healthz', token)).status).toBe(200)
  })

  it('bounds the span of a history range', async () => {
    const t = await withSystem()
    const token = await t.token('viewer')
    const r = await t.api<ErrorReply>('/api/v1/history?from=2020-01-01&to=2026-01-01', token)
    expect(r.status).toBe(400)
    expect(r.body.error.code).toBe('API_E_VALIDATION')
  })
})
