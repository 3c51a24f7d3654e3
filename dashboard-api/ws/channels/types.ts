import type { ChannelData, ChannelName, ChannelParams } from '../../../contracts/ws.ts'
import type { Change, Model } from '../../model/types.ts'
import type { Dirty } from '../coalescer.ts'

/** Which part of a stream a model change touches: an item key, or everything. */
export type Touch = { readonly all: true } | { readonly key: string }

export const ALL: Touch = { all: true }

/**
 * One channel of the protocol (docs/conventions.md, rule 3: one module per channel behind a table).
 * `members` is every item key a subscriber of the stream may hold (see collection.ts).
 */
export interface ChannelAdapter<C extends ChannelName> {
  readonly channel: C
  /** Whether, and where, a model change concerns a stream with these params. */
  touches(change: Change, params: ChannelParams[C]): Touch | undefined
  /** False when the subject does not exist (e.g. an unknown site); absent: always exists. */
  exists?(model: Model, params: ChannelParams[C]): Promise<boolean>
  snapshot(model: Model, params: ChannelParams[C], members: Set<string>): Promise<ChannelData[C]['snapshot']>
  /** The delta for what changed, or undefined when there is nothing to send. */
  delta(
    model: Model,
    params: ChannelParams[C],
    dirty: Dirty,
    members: Set<string>
  ): Promise<ChannelData[C]['delta'] | undefined>
}
