import type { DeviceMessage, Kind } from '../../contracts/device/index.ts'

/** What every generated object carries: the event time (ISO-8601, local offset) and seq. */
export interface Stamp {
  readonly ts: string
  readonly seq: number
}

/** One signature for every kind (docs/conventions.md, rule 3): a model sample and a stamp → the wire object. */
export type Generator<K extends Kind, Sample> = (sample: Sample, stamp: Stamp) => DeviceMessage[K]
