// Cluster mode: every node serves alerts, one node evaluates them (lease.ts). The holder runs a
// normal engine whose writes are fenced. The other nodes run a read-only copy that they reload
// from InfluxDB every `reloadMs`, so their pages list what the holder stored. A node that takes
// the lease starts a fresh engine, which rebuilds open alerts from InfluxDB (engine.ts start())
// before it evaluates, so the new holder continues the old holder's episodes instead of opening
// new ones. An acknowledgement on any node is stored by that node and passed to the holder
// (`forwardAck`), so the holder's next transition of that alert keeps it.
import type { Log } from '../../lib/log.ts'
import type { Lease } from './lease.ts'
import type { AlertEngine } from './types.ts'

export interface LeasedAlertsDeps {
  readonly lease: Lease
  /** A new engine; `fenced`: its writes go through the lease's fence (the holder's). */
  readonly create: (fenced: boolean) => AlertEngine
  /** How often a node without the lease reloads alerts from InfluxDB. */
  readonly reloadMs: number
  /** Tells the holder about an acknowledgement made here (e.g. Redis pub/sub). */
  readonly forwardAck?: (ack: RemoteAck) => void
  readonly log: Log
  readonly now: () => number
}

export interface RemoteAck {
  readonly alertId: string
  readonly by: string
  readonly at: number
  readonly note?: string
}

export interface LeasedAlerts extends AlertEngine {
  /** An acknowledgement made on another node: the holder applies it to its own engine. */
  applyRemoteAck(ack: RemoteAck): Promise<void>
}

export function createLeasedAlerts(deps: LeasedAlertsDeps): LeasedAlerts {
  const { lease, log, now } = deps
  let engine: AlertEngine = deps.create(false)
  let holder = false
  let loadedAt = 0
  let started = false
  let chain: Promise<unknown> = Promise.resolve()

  /** Engine swaps run one at a time. */
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = chain.then(fn)
    chain = run.catch(() => undefined)
    return run
  }

  async function swap(asHolder: boolean): Promise<void> {
    const next = deps.create(asHolder)
    await next.start()
    const previous = engine
    engine = next
    holder = asHolder
    loadedAt = now()
    void previous.close().catch(() => undefined)
  }

  async function current(): Promise<AlertEngine> {
    if (!started) return engine
    const holding = lease.holding()
    if (holding && !holder) {
      await serial(() => swap(true))
      log.info({ token: lease.token() }, 'alert engine rebuilt from InfluxDB on taking the lease')
    } else if (!holding && holder) {
      await serial(() => swap(false))
    } else if (!holding && now() - loadedAt >= deps.reloadMs) {
      await serial(() => swap(false))
    }
    return engine
  }

  return {
    async start() {
      await lease.ready
      holder = lease.holding()
      engine = deps.create(holder)
      await engine.start()
      loadedAt = now()
      started = true
    },
    async evaluate(inputs) {
      const e = await current()
      return holder ? e.evaluate(inputs) : []
    },
    list: (filter) => engine.list(filter),
    history: (filter) => engine.history(filter),
    get: (id) => engine.get(id),
    async acknowledge(alertId, by, at, note) {
      const acked = await engine.acknowledge(alertId, by, at, note)
      if (acked !== undefined && !holder) deps.forwardAck?.({ alertId, by, at, ...(note ? { note } : {}) })
      return acked
    },
    async acknowledgeMany(alertIds, by, at, note) {
      const r = await engine.acknowledgeMany(alertIds, by, at, note)
      if (!holder) for (const a of r.alerts) deps.forwardAck?.({ alertId: a.id, by, at, ...(note ? { note } : {}) })
      return r
    },
    async applyRemoteAck(ack) {
      if (!holder) return
      await engine.acknowledge(ack.alertId, ack.by, ack.at, ack.note).catch((err: Error) => {
        log.warn({ alertId: ack.alertId, err: err.message }, "another node's acknowledgement not applied")
      })
    },
    async close() {
      await chain
      await engine.close()
    }
  }
}
