// One real mqtt.js client per simulated device (username = device id, password = its token),
// QoS 1, reconnecting on its own. Every publish resolves with its PUBACK latency or rejects;
// the fleet counts connections, reconnects, and what was in flight when a connection dropped.
import mqtt, { type MqttClient } from 'mqtt'

export interface FleetOptions {
  readonly url: string
  readonly credentials: Readonly<Record<string, string>>
  /** Concurrent CONNECTs while the fleet comes up. */
  readonly connectConcurrency?: number
  readonly reconnectPeriodMs?: number
  readonly keepaliveS?: number
  /** Attempts per message before a publish rejects (a device resends what was not acknowledged). */
  readonly maxAttempts?: number
  /**
   * QoS 1 publishes a device keeps in flight at once; more wait in its buffer until a PUBACK
   * frees a slot, as a real device's outbox does. It also bounds what one dropped connection
   * can send twice, and so the retransmission allowance verify has to grant.
   */
  readonly window?: number
}

export const DEFAULT_WINDOW = 8

export interface Fleet {
  readonly ids: readonly string[]
  connect(
    onProgress?: (connected: number) => void
  ): Promise<{ connected: number; failed: { id: string; error: string }[] }>
  /**
   * Publish at QoS 1 and resolve with the PUBACK latency (ms, of the attempt that was acked).
   * When the connection drops before the PUBACK, mqtt.js fails the publish; like a device, the
   * fleet sends it again once reconnected and calls `onRetry` (the broker may have stored the
   * first copy: the retry may count as a duplicate).
   */
  publish(deviceId: string, topic: string, payload: string | Buffer, onRetry?: () => void): Promise<number>
  /** Drop the TCP connection of these devices (a reconnect storm); mqtt.js reconnects them. */
  drop(ids: readonly string[]): void
  stats(): { connected: number; reconnects: number; inFlight: number }
  /** End every connection; `force` fails what is still in flight instead of waiting for it. */
  close(opts?: { force?: boolean }): Promise<void>
}

export function createFleet(o: FleetOptions): Fleet {
  const ids = Object.keys(o.credentials).sort()
  const clients = new Map<string, MqttClient>()
  const inFlight = new Map<string, number>()
  /** Publishes awaiting their PUBACK, per device; told when the connection drops under them. */
  const awaiting = new Map<string, Set<{ dropped: boolean; onRetry: (() => void) | undefined }>>()
  let reconnects = 0
  let closing = false
  const window = Math.max(1, o.window ?? DEFAULT_WINDOW)
  /** Per device: publishes waiting for a slot in its window. */
  const waiting = new Map<string, Array<() => void>>()
  const acquire = async (id: string): Promise<void> => {
    if ((inFlight.get(id) ?? 0) < window) {
      inFlight.set(id, (inFlight.get(id) ?? 0) + 1)
      return
    }
    await new Promise<void>((go) => {
      const q = waiting.get(id) ?? []
      waiting.set(id, q)
      q.push(go)
    })
  }
  const release = (id: string): void => {
    const next = waiting.get(id)?.shift()
    if (next)
      next() // the slot passes straight to the next waiting publish
    else inFlight.set(id, inFlight.get(id)! - 1)
  }

  function make(id: string): Promise<MqttClient> {
    return new Promise((resolve, reject) => {
      const c = mqtt.connect(o.url, {
        username: id,
        password: o.credentials[id],
        clientId: id,
        clean: true,
        reconnectPeriod: o.reconnectPeriodMs ?? 1000,
        connectTimeout: 30_000,
        keepalive: o.keepaliveS ?? 120
      })
      let first = true
      c.on('connect', () => {
        if (first) {
          first = false
          resolve(c)
        }
      })
      c.on('reconnect', () => {
        reconnects++
      })
      // mqtt.js keeps unacknowledged QoS 1 publishes and sends them again after reconnecting,
      // without failing them: every publish in flight when any connection drops (a storm, a
      // keepalive timeout on a loaded machine) may reach the broker twice.
      c.on('close', () => {
        for (const entry of awaiting.get(id) ?? []) {
          entry.dropped = true
          entry.onRetry?.()
        }
      })
      c.on('error', (err) => {
        if (first) {
          first = false
          c.end(true)
          reject(err)
        }
      })
    })
  }

  return {
    ids,
    async connect(onProgress) {
      const failed: { id: string; error: string }[] = []
      let next = 0
      const lane = async (): Promise<void> => {
        while (next < ids.length) {
          const id = ids[next++]!
          try {
            clients.set(id, await make(id))
          } catch (err) {
            failed.push({ id, error: (err as Error).message })
          }
          onProgress?.(clients.size)
        }
      }
      await Promise.all(Array.from({ length: Math.min(ids.length, o.connectConcurrency ?? 100) }, lane))
      return { connected: clients.size, failed }
    },
    async publish(id, topic, payload, onRetry) {
      const c = clients.get(id)
      if (!c) throw new Error(`device ${id} has no connection`)
      await acquire(id)
      const entry = { dropped: false, onRetry }
      const mine = awaiting.get(id) ?? new Set()
      awaiting.set(id, mine.add(entry))
      try {
        for (let attempt = 1; ; attempt++) {
          while (!c.connected && !closing) await new Promise((r) => setTimeout(r, 50))
          const t0 = performance.now()
          entry.dropped = false
          try {
            await c.publishAsync(topic, payload, { qos: 1 })
            return performance.now() - t0
          } catch (err) {
            if (closing || attempt >= (o.maxAttempts ?? 20)) throw err
            // A drop under this attempt was counted by the close handler already.
            if (!entry.dropped) onRetry?.()
          }
        }
      } finally {
        mine.delete(entry)
        release(id)
      }
    },
    drop(list) {
      for (const id of list)
        (clients.get(id) as unknown as { stream?: { destroy(): void } } | undefined)?.stream?.destroy()
    },
    stats() {
      let connected = 0
      let pending = 0
      for (const c of clients.values()) if (c.connected) connected++
      for (const n of inFlight.values()) pending += n
      return { connected, reconnects, inFlight: pending }
    },
    async close(opts = {}) {
      closing = true
      await Promise.all([...clients.values()].map((c) => c.endAsync(opts.force ?? false).catch(() => undefined)))
    }
  }
}
