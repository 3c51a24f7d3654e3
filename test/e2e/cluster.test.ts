import { once } from 'node:events'
import { describe, expect, it, onTestFinished } from 'vitest'
import WebSocket from 'ws'
import type { Alert, CompletenessRow, SiteBalance } from '../../contracts/ops.ts'
import { WS_PATH } from '../../contracts/ws.ts'
import { rows } from '../../influx/client.ts'
import { ticket } from '../fixtures/messages.ts'
import { withCluster } from '../harness/cluster.ts'
import { until } from '../harness/node.ts'

// Cluster mode (QINGYUN_REDIS_URL) on real parts: in-process nodes on one real redis-server and
// one real InfluxDB, real mqtt.js devices and a real websocket client. Each node ingests what its
// own devices publish; every node's dashboard folds every node's facts, each exactly once.

type Msg = Record<string, unknown> & { type: string }

function wsClient(url: string, token: string) {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } })
  const messages: Msg[] = []
  ws.on('message', (d) => messages.push(JSON.parse(d.toString()) as Msg))
  ws.on('error', () => undefined)
  onTestFinished(() => ws.terminate())
  return {
    messages,
    opened: once(ws, 'open'),
    send: (m: unknown) => ws.send(JSON.stringify(m))
  }
}

describe('cluster mode: two and three nodes on one Redis and one InfluxDB', () => {
  it('a device on node A: a websocket client on node B sees its tickets; every node counts each once', async () => {
    const c = await withCluster(3)
    const [a, b, third] = c.nodes as [(typeof c.nodes)[0], (typeof c.nodes)[0], (typeof c.nodes)[0]]
    const token = await b.token('viewer')
    const ws = wsClient(`ws://127.0.0.1:${b.system.httpPort}${WS_PATH}`, token)
    await ws.opened
    ws.send({ type: 'subscribe', id: 'ts1', channel: 'site', params: { siteId: 'ts-1' } })
    await until('the snapshot on node B', () => ws.messages.some((m) => m.type === 'snapshot'))

    // What each node's in-process consumers get: every committed fact once, wherever it was committed.
    const delivered = c.nodes.map(() => 0)
    for (const [i, n] of c.nodes.entries())
      await n.system.broker.onFacts((facts) => {
        delivered[i]! += facts.length
      })
    const wb = await c.device(0, 'wb-1')
    for (const id of ['C-1', 'C-2', 'C-3']) {
      await wb.publishAsync('v1/devices/wb-1/weighing', JSON.stringify(ticket(id)), { qos: 1 })
    }
    // A retransmission (same ticket, same time) through node A again: still one ticket.
    const again = ticket('C-4')
    await wb.publishAsync('v1/devices/wb-1/weighing', JSON.stringify(again), { qos: 1 })
    await wb.publishAsync('v1/devices/wb-1/weighing', JSON.stringify(again), { qos: 1 })

    // The page on node B: its deltas reach four tickets in.
    await until('four tickets in on node B', () =>
      ws.messages.some((m) => (m.data as { balance?: SiteBalance } | undefined)?.balance?.ticketsIn === 4)
    )

    const viewer = await Promise.all(c.nodes.map((n) => n.token('viewer')))
    await c.forwarded()
    const [stored] = await a.db.client.query(`SELECT count(net_kg) AS n FROM weighing WHERE site = 'ts-1'`)
    expect(Number(rows(stored)[0]?.n)).toBe(4)
    for (const [i, n] of [a, b, third].entries()) {
      const bal = await n.api<SiteBalance>('/api/v1/sites/ts-1/balance', viewer[i]!)
      expect(bal.body, `node ${i}`).toMatchObject({ ticketsIn: 4, inT: 4 * 8.12 })
      const comp = await n.api<CompletenessRow[]>('/api/v1/completeness?by=device', viewer[i]!)
      const row = comp.body.find((r) => r.key === 'wb-1')
      // Five PUBLISHes of four tickets: four accepted and one duplicate on every node, not one per copy.
      expect(row, `node ${i}`).toMatchObject({ accepted: 4, duplicates: 1 })
    }
    expect(delivered[0]).toBeGreaterThanOrEqual(5)
    expect(delivered).toEqual([delivered[0], delivered[0], delivered[0]])
    // Each node ingested only what its own clients published.
    expect(b.system.store.spool.stats().appendedSeq).toBe(0)
  })
})

describe('cluster mode: one alert engine per database', () => {
  it('one node evaluates: an overflowing bin opens one alert, and every node lists that one', async () => {
    const c = await withCluster(3)
    const fill = await c.device(1, 'fill-1')
    await fill.publishAsync('v1/devices/fill-1/fill', JSON.stringify({ ts: Date.now() - 1000, fillPct: 120 }), {
      qos: 1
    })
    const viewer = await Promise.all(c.nodes.map((n) => n.token('viewer')))
    const listed = async (i: number) =>
      (await c.nodes[i]!.api<Alert[]>('/api/v1/alerts', viewer[i]!)).body.filter((a) => a.type === 'bin-overflow')
    const seen: Alert[][] = [[], [], []]
    await until(
      'every node lists the bin-overflow alert',
      () => {
        void Promise.all([0, 1, 2].map(listed)).then((r) => r.forEach((x, i) => (seen[i] = x)))
        return seen.every((x) => x.length > 0)
      },
      30_000
    )
    const ids = seen.map((x) => x.map((a) => a.id))
    expect(ids[0]).toHaveLength(1)
    expect(ids).toEqual([ids[0], ids[0], ids[0]])
    await c.forwarded()
    const [stored] = await c.nodes[0]!.db.client.query(
      `SELECT count(state) AS n FROM alert WHERE "type" = 'bin-overflow'`
    )
    expect(Number(rows(stored)[0]?.n), 'one episode stored, by one engine').toBe(1)

    // An operator acknowledges it on a node that does not hold the lease: the holder keeps it,
    // and every node lists it acknowledged.
    const follower = c.nodes.findIndex((n) => n.system.cluster?.lease()?.holding() === false)
    const operator = await c.nodes[follower]!.token('operator')
    const ack = await c.nodes[follower]!.api<Alert>(`/api/v1/alerts/${ids[0]![0]}/ack`, operator, { method: 'POST' })
    expect(ack.status).toBe(200)
    await until(
      'every node lists the alert acknowledged',
      () => {
        void Promise.all([0, 1, 2].map(listed)).then((r) => r.forEach((x, i) => (seen[i] = x)))
        return seen.every((x) => x[0]?.acknowledgedAt !== null && x[0]?.acknowledgedAt !== undefined)
      },
      30_000
    )
    const holder = c.nodes.find((n) => n.system.cluster?.lease()?.holding() === true)!
    expect(holder.system.model.alerts().find((x) => x.id === ids[0]![0])?.acknowledgedAt).not.toBeNull()
  }, 90_000)
})

describe('cluster mode: Redis restarted mid-run', () => {
  it('nodes recover without loss: every acknowledged ticket stored once, node B folds them all', async () => {
    const c = await withCluster(2)
    const [a, b] = c.nodes as [(typeof c.nodes)[0], (typeof c.nodes)[0]]
    const wb = await c.device(0, 'wb-2', { clean: false, clientId: 'wb-2-redis', reconnectPeriod: 200 })
    wb.on('error', () => undefined)
    const t0 = Date.now()
    const acked = new Set<string>()
    let next = 0
    let stopping = false
    const lane = async (): Promise<void> => {
      while (!stopping) {
        const id = `R-${next++}`
        const tk = ticket(id, { ts: t0 - 60_000 + next })
        await wb.publishAsync('v1/devices/wb-2/weighing', JSON.stringify(tk), { qos: 1 }).then(() => {
          acked.add(id)
        })
      }
    }
    const lanes = [lane(), lane(), lane(), lane()]
    await until('50 tickets acknowledged', () => acked.size >= 50)
    await c.redis.kill()
    await new Promise((r) => setTimeout(r, 1000))
    await c.redis.start()
    const before = acked.size
    await until('acknowledgements resume after Redis is back', () => acked.size >= before + 50, 30_000)
    stopping = true
    await Promise.all(lanes)

    await c.forwarded()
    const [stored] = await a.db.client.query(`SELECT count(net_kg) AS n FROM weighing WHERE ticket_id =~ /^R-/`)
    expect(Number(rows(stored)[0]?.n)).toBe(acked.size)
    const viewer = await b.token('viewer')
    let live = 0
    for (let i = 0; i < 100 && live !== acked.size; i++) {
      live = (await b.api<SiteBalance>('/api/v1/sites/sc-1/balance', viewer)).body.ticketsIn
      if (live !== acked.size) await new Promise((r) => setTimeout(r, 100))
    }
    expect(live).toBe(acked.size)
  }, 90_000)
})
