import type { Logger } from 'pino'
import type { ChannelName, ChannelParams } from '../../contracts/ws.ts'
import type { Model } from '../model/types.ts'
import { channels } from './channels/index.ts'
import { createStream, type Stream } from './stream.ts'
import type { Timers } from '../../lib/clock.ts'

export interface StreamRegistryOptions {
  readonly flushMs: number
  readonly ringSize: number
  /** How long a stream with no subscribers keeps following the model, so a screen that lost its
   *  connection can resume instead of starting over. */
  readonly streamIdleMs: number
  readonly maxStreams: number
}

export interface StreamRegistry {
  /** The stream of channel + params, created on first use; undefined when at maxStreams. */
  acquire<C extends ChannelName>(channel: C, params: ChannelParams[C]): Stream | undefined
  /** Undo one acquire; a stream nobody holds is dropped after streamIdleMs. */
  release(stream: Stream): void
  size(): number
  close(): void
}

/** Canonical stream key: channel + params with sorted keys and no undefined values. */
export function streamKey(channel: ChannelName, params: Readonly<Record<string, unknown>>): string {
  const entries = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return entries.length === 0
    ? channel
    : `${channel}?${entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&')}`
}

/**
 * Streams by key, fed by model.onChange. The listener only marks items dirty on the streams of
 * the channels a change concerns — O(streams of that channel), no I/O — so the model (and ingest
 * behind it) never waits for websocket clients.
 *
 * Seqs: a new stream's first seq is the clock in ms (and above every seq this registry issued).
 * A stream emits at most one delta per flush interval (≥ 1 ms), so its seqs stay below the
 * clock; a seq a client remembers from an earlier stream of the same key — or an earlier server
 * process — is therefore below the first seq of the current one and is never mistaken for a
 * position in it: the client gets a fresh snapshot. (A wall clock stepped back across a restart
 * is the one case this does not cover.)
 */
export function createStreamRegistry(deps: {
  model: Model
  timers: Timers
  log: Logger
  options: StreamRegistryOptions
}): StreamRegistry {
  const { model, timers, log, options } = deps
  const streams = new Map<string, Stream>()
  const byChannel = new Map<ChannelName, Set<Stream>>()
  const idle = new Map<Stream, unknown>()
  const refs = new Map<Stream, number>()
  let highestSeq = 0
  const onSeq = (seq: number): void => {
    if (seq > highestSeq) highestSeq = seq
  }

  const unlisten = model.onChange((change) => {
    for (const [channel, set] of byChannel) {
      const adapter = channels[channel]
      for (const s of set) {
        const t = (adapter.touches as (c: typeof change, p: unknown) => ReturnType<typeof adapter.touches>)(
          change,
          s.params
        )
        if (t) s.touch(t)
      }
    }
  })

  const drop = (s: Stream): void => {
    s.close()
    streams.delete(s.key)
    byChannel.get(s.channel)?.delete(s)
    idle.delete(s)
    refs.delete(s)
  }

  return {
    acquire(channel, params) {
      const key = streamKey(channel, params)
      let s = streams.get(key)
      if (!s) {
        if (streams.size >= options.maxStreams) return undefined
        const firstSeq = Math.max(Math.floor(timers.now()), highestSeq + 1)
        highestSeq = firstSeq
        s = createStream({
          key,
          adapter: channels[channel],
          params,
          model,
          timers,
          flushMs: options.flushMs,
          ringSize: options.ringSize,
          firstSeq,
          log,
          onSeq
        })
        streams.set(key, s)
        let set = byChannel.get(channel)
        if (!set) byChannel.set(channel, (set = new Set()))
        set.add(s)
        log.debug({ stream: key, firstSeq }, 'stream created')
      }
      refs.set(s, (refs.get(s) ?? 0) + 1)
      const pending = idle.get(s)
      if (pending !== undefined) {
        timers.clearTimeout(pending)
        idle.delete(s)
      }
      return s
    },
    release(s) {
      if (streams.get(s.key) !== s) return
      const n = (refs.get(s) ?? 1) - 1
      refs.set(s, n)
      if (n > 0 || idle.has(s)) return
      idle.set(
        s,
        timers.setTimeout(() => {
          drop(s)
          log.debug({ stream: s.key }, 'idle stream dropped')
        }, options.streamIdleMs)
      )
    },
    size: () => streams.size,
    close() {
      unlisten()
      for (const h of idle.values()) timers.clearTimeout(h)
      for (const s of [...streams.values()]) drop(s)
    }
  }
}
