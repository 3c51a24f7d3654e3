import type { Logger } from 'pino'
import type { ChannelName, ChannelParams } from '../../contracts/ws.ts'
import type { Model } from '../model/types.ts'
import type { ChannelAdapter, Touch } from './channels/index.ts'
import { createCoalescer, type Dirty } from './coalescer.ts'
import { createRing, decideResume } from './ring.ts'
import type { Timers } from '../../lib/clock.ts'

/** One subscription of one connection: it receives the stream's messages as JSON text. */
export interface Subscriber {
  readonly id: string
  send(text: string): void
}

export type AttachResult = { readonly kind: 'snapshot' | 'resumed'; readonly seq: number; readonly replayed: number }

/**
 * A stream: a channel with its params, shared by every subscriber of the same pair. It owns the
 * seq, the ring of recent deltas, and the coalescer; every read of the model for it (flushes and
 * snapshots) runs one at a time, so a snapshot's seq says exactly which deltas it includes.
 */
export interface Stream {
  readonly key: string
  readonly channel: ChannelName
  readonly params: Readonly<Record<string, unknown>>
  /** The seq of the last delta (the first seq of the stream before any). */
  seq(): number
  touch(t: Touch): void
  /** Send a snapshot (or, when `resumeSeq` is still in the ring, the missed deltas) and add. */
  attach(sub: Subscriber, resumeSeq?: number): Promise<AttachResult>
  detach(sub: Subscriber): void
  subscribers(): number
  close(): void
}

export interface StreamDeps<C extends ChannelName> {
  readonly key: string
  readonly adapter: ChannelAdapter<C>
  readonly params: ChannelParams[C]
  readonly model: Model
  readonly timers: Timers
  readonly flushMs: number
  readonly ringSize: number
  /** First seq; see streams.ts for why it is the clock. */
  readonly firstSeq: number
  readonly log: Logger
  /** Called with each new delta's seq (the registry keeps the highest seq it ever issued). */
  readonly onSeq?: (seq: number) => void
}

// Messages are assembled from pre-serialised parts: a delta's data is stringified once and
// shared by every subscriber (only the client's subscription id differs) and by the ring.
const frame = (type: 'snapshot' | 'delta', id: string, channel: string, seq: number, dataJson: string): string =>
  `{"type":"${type}","id":${JSON.stringify(id)},"channel":"${channel}","seq":${seq},"data":${dataJson}}`

export function createStream<C extends ChannelName>(deps: StreamDeps<C>): Stream {
  const { adapter, params, model } = deps
  const channel = adapter.channel
  const subs = new Set<Subscriber>()
  const members = new Set<string>()
  const ring = createRing<{ seq: number; dataJson: string }>(deps.ringSize)
  let seq = deps.firstSeq
  let closed = false
  let chain: Promise<unknown> = Promise.resolve()
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn)
    chain = run.catch(() => undefined)
    return run
  }

  const flush = (dirty: Dirty): Promise<void> =>
    serial(async () => {
      if (closed) return
      const data = await adapter.delta(model, params, dirty, members)
      if (data === undefined || closed) return
      seq += 1
      const dataJson = JSON.stringify(data)
      ring.push(seq, { seq, dataJson })
      deps.onSeq?.(seq)
      for (const s of subs) s.send(frame('delta', s.id, channel, seq, dataJson))
    })

  const coalescer = createCoalescer({
    intervalMs: deps.flushMs,
    timers: deps.timers,
    flush,
    onError: (err) => deps.log.error({ err, stream: deps.key }, 'stream delta failed; retrying at the next flush')
  })

  return {
    key: deps.key,
    channel,
    params: params as Readonly<Record<string, unknown>>,
    seq: () => seq,
    touch: (t) => coalescer.mark('key' in t ? t.key : undefined),
    attach: (sub, resumeSeq) =>
      serial(async () => {
        if (closed) throw new Error(`stream ${deps.key} is closed`)
        const decision = decideResume(resumeSeq, seq, ring)
        if (decision.kind === 'replay') {
          const fromSeq = resumeSeq!
          sub.send(JSON.stringify({ type: 'resumed', id: sub.id, channel, fromSeq, seq }))
          for (const e of decision.entries) sub.send(frame('delta', sub.id, channel, e.seq, e.dataJson))
          subs.add(sub)
          return { kind: 'resumed', seq, replayed: decision.entries.length }
        }
        const data = await adapter.snapshot(model, params, members)
        if (closed) throw new Error(`stream ${deps.key} is closed`)
        sub.send(frame('snapshot', sub.id, channel, seq, JSON.stringify(data)))
        subs.add(sub)
        return { kind: 'snapshot', seq, replayed: 0 }
      }),
    detach: (sub) => void subs.delete(sub),
    subscribers: () => subs.size,
    close() {
      closed = true
      coalescer.close()
      subs.clear()
    }
  }
}
