import { describe, expect, it } from 'vitest'
import { contractDocuments } from './export.ts'
import { ChannelName, ClientMessage, ServerMessageV1 } from './ws.ts'

type Json = Record<string, unknown>

describe('websocket v1 contract', () => {
  it('parses every client message kind and refuses unknown fields', () => {
    for (const m of [
      { type: 'auth', token: 'qyo_x' },
      { type: 'subscribe', id: '1', channel: 'city' },
      { type: 'subscribe', id: '2', channel: 'site', params: { siteId: 'ts-1' }, resume: { seq: 17 } },
      { type: 'subscribe', id: '3', channel: 'bins', params: { status: 'overflow', district: '梁溪' } },
      { type: 'subscribe', id: '4', channel: 'vehicles', params: { state: 'moving', type: 'compactor' } },
      { type: 'subscribe', id: '5', channel: 'alerts', params: { state: 'open', severity: 'critical' } },
      { type: 'unsubscribe', id: '1' },
      { type: 'ping' }
    ])
      expect(ClientMessage.safeParse(m).success, JSON.stringify(m)).toBe(true)
    expect(ClientMessage.safeParse({ type: 'ping', extra: 1 }).success).toBe(false)
    expect(ClientMessage.safeParse({ type: 'subscribe', id: '', channel: 'city' }).success).toBe(false)
  })

  it('is in the AsyncAPI document: one channel, every message, every $ref resolving; the device parts intact', () => {
    const doc = contractDocuments()['asyncapi.json'] as Json
    const resolve = (ref: string): unknown =>
      ref
        .slice(2)
        .split('/')
        .reduce<unknown>((o, k) => (o as Json | undefined)?.[k], doc)
    const refs: string[] = []
    const walk = (o: unknown): void => {
      if (!o || typeof o !== 'object') return
      for (const [k, v] of Object.entries(o)) {
        if (k === '$ref' && typeof v === 'string') refs.push(v)
        else walk(v)
      }
    }
    walk(doc)
    for (const r of refs) expect(resolve(r), r).toBeDefined()
    const channels = doc.channels as Record<string, Json>
    expect(channels.operationsV1?.address).toBe('/api/v1/ws')
    expect(channels.weighing?.address).toBe('v1/devices/{deviceId}/weighing')
    const names = Object.keys(channels.operationsV1?.messages as Json)
    for (const c of ChannelName.options)
      expect(names).toEqual(expect.arrayContaining([`wsSubscribe_${c}`, `wsSnapshot_${c}`, `wsDelta_${c}`]))
    expect(names).toEqual(
      expect.arrayContaining([
        'wsAuth',
        'wsUnsubscribe',
        'wsPing',
        'wsWelcome',
        'wsResumed',
        'wsHeartbeat',
        'wsError',
        'wsPong'
      ])
    )
    expect(
      ServerMessageV1.safeParse({ type: 'error', code: 'WS_E_BAD_MESSAGE', message: 'params.siteId: Invalid input' })
        .success
    ).toBe(true)
  })
})
