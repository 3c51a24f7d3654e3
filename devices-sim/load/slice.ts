// One slice of a load run: these devices, this share of the target rate, in this thread.
// Messages are spread over the devices round-robin by kind; a publish is not awaited before the
// next (mqtt.js pipelines QoS 1), but in-flight messages are capped so a slow broker shows up as
// a lower achieved rate, not as unbounded memory.
import type { Kind } from '../../contracts/device/index.ts'
import type { DeviceType } from '../../contracts/registry.ts'
import { deviceTopic } from '../../contracts/topics.ts'
import { rngFor } from '../city/rng.ts'
import { malformedPayload } from '../run/faults.ts'
import { createFleet } from '../run/fleet.ts'
import { TYPE_OF_KIND, type Mix } from './mix.ts'

export interface SliceOptions {
  readonly url: string
  readonly devices: readonly { id: string; token: string; type: DeviceType }[]
  readonly ratePerS: number
  readonly durationS: number
  readonly mix: Mix
  readonly malformed: number
  readonly duplicates: number
  readonly storms: number
  readonly seed: number
  readonly maxInFlight: number
  readonly connectConcurrency: number
}

export interface SliceProgress {
  phase: 'connecting' | 'running' | 'draining' | 'done'
  connected: number
  sent: number
  acked: number
  errors: number
  reconnects: number
  inFlight: number
  malformed: number
  duplicates: number
  connectFailures: number
  retries: number
}

export async function runSlice(
  o: SliceOptions,
  report: (p: SliceProgress) => void
): Promise<{ progress: SliceProgress; latencies: Float64Array }> {
  const credentials = Object.fromEntries(o.devices.map((d) => [d.id, d.token]))
  const byType = new Map<DeviceType, string[]>()
  for (const d of o.devices) byType.set(d.type, [...(byType.get(d.type) ?? []), d.id])
  const all = o.devices.map((d) => d.id)
  const cursor = new Map<string, number>()
  const nextOf = (list: readonly string[], key: string): string => {
    const i = cursor.get(key) ?? 0
    cursor.set(key, i + 1)
    return list[i % list.length]!
  }
  const kinds = (Object.entries(o.mix) as [Kind, number][]).filter(
    ([k, w]) => w > 0 && (k === 'status' || (byType.get(TYPE_OF_KIND[k])?.length ?? 0) > 0)
  )
  const total = kinds.reduce((a, [, w]) => a + w, 0)
  const rng = rngFor(o.seed, 'load', o.devices[0]?.id ?? '')
  const seq = new Map<string, number>()
  const p: SliceProgress = {
    phase: 'connecting',
    connected: 0,
    sent: 0,
    acked: 0,
    errors: 0,
    reconnects: 0,
    inFlight: 0,
    malformed: 0,
    duplicates: 0,
    connectFailures: 0,
    retries: 0
  }
  let latencies = new Float64Array(1 << 16)
  let nLat = 0
  const fleet = createFleet({ url: o.url, credentials, connectConcurrency: o.connectConcurrency, keepaliveS: 300 })
  const tick = setInterval(() => {
    Object.assign(p, { reconnects: fleet.stats().reconnects })
    report({ ...p })
  }, 250)
  try {
    const up = await fleet.connect((n) => {
      p.connected = n
    })
    p.connectFailures = up.failed.length
    p.connected = up.connected
    p.phase = 'running'
    let ticket = 0
    const message = (kind: Kind, id: string): string => {
      const s = (seq.get(id) ?? -1) + 1
      seq.set(id, s)
      const ts = Date.now()
      switch (kind) {
        case 'weighing': {
          const tare = 10_000 + (s % 2000)
          const net = 2_000 + Math.floor(rng() * 6000)
          return JSON.stringify({
            ts,
            seq: s,
            ticketId: `${id}-${++ticket}`,
            direction: s % 2 ? 'out' : 'in',
            stream: 'residual',
            grossKg: tare + net,
            tareKg: tare,
            netKg: net,
            plate: '苏B12345'
          })
        }
        case 'fill':
          return JSON.stringify({ ts, seq: s, fillPct: Math.round(rng() * 1000) / 10, batteryPct: 80 })
        case 'position':
          return JSON.stringify({
            ts,
            seq: s,
            lat: 31.5 + rng() / 10,
            lon: 120.2 + rng() / 10,
            speedKmh: Math.round(rng() * 500) / 10,
            headingDeg: Math.round(rng() * 3599) / 10,
            ignition: true
          })
        case 'status':
          return JSON.stringify({ ts, seq: s, rssiDbm: -70, firmware: 'load-1', uptimeS: s })
      }
    }
    const send = (id: string, kind: Kind, payload: string, dup: boolean): void => {
      p.sent++
      p.inFlight++
      fleet
        .publish(id, deviceTopic(id, kind), payload, () => {
          p.retries++
        })
        .then(
          (ms) => {
            p.acked++
            if (nLat === latencies.length) {
              const bigger = new Float64Array(latencies.length * 2)
              bigger.set(latencies)
              latencies = bigger
            }
            latencies[nLat++] = ms
            if (dup) {
              p.duplicates++
              send(id, kind, payload, false)
            }
          },
          () => {
            p.errors++
          }
        )
        .finally(() => {
          p.inFlight--
        })
    }
    const start = Date.now()
    const end = start + o.durationS * 1000
    const stormEvery = o.storms > 0 ? (o.durationS * 1000) / (o.storms + 1) : Infinity
    let nextStorm = start + stormEvery
    while (Date.now() < end) {
      const due = Math.floor(((Date.now() - start) / 1000) * o.ratePerS) - p.sent + p.duplicates
      for (let i = 0; i < due && p.inFlight < o.maxInFlight; i++) {
        let r = rng() * total
        let kind: Kind = kinds[0]![0]
        for (const [k, w] of kinds) {
          r -= w
          if (r < 0) {
            kind = k
            break
          }
        }
        const id = kind === 'status' ? nextOf(all, 'status') : nextOf(byType.get(TYPE_OF_KIND[kind])!, kind)
        send(id, kind, message(kind, id), o.duplicates > 0 && rng() < o.duplicates)
        if (o.malformed > 0 && rng() < o.malformed) {
          p.malformed++
          p.sent++
          p.inFlight++
          fleet
            .publish(
              id,
              deviceTopic(id, kind),
              malformedPayload(kind, new Date().toISOString(), p.malformed, p.malformed % 2 === 0).payload,
              () => {
                p.retries++
              }
            )
            .then(
              () => {
                p.acked++
              },
              () => {
                p.errors++
              }
            )
            .finally(() => {
              p.inFlight--
            })
        }
      }
      if (Date.now() >= nextStorm) {
        nextStorm += stormEvery
        fleet.drop(fleet.ids)
      }
      await new Promise((r) => setTimeout(r, 10))
    }
    p.phase = 'draining'
    const drainUntil = Date.now() + 30_000
    while (p.inFlight > 0 && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 50))
    p.reconnects = fleet.stats().reconnects
    await fleet.close()
    p.phase = 'done'
    return { progress: { ...p }, latencies: latencies.slice(0, nLat) }
  } finally {
    clearInterval(tick)
  }
}
