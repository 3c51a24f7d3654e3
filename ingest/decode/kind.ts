import type { z } from 'zod'
import type { Device } from '../../contracts/registry.ts'
import type { DeviceMessage, Kind } from '../../contracts/device/index.ts'
import type { Fact } from '../../contracts/facts.ts'
import type { RegistryLookup } from '../types.ts'

/** Normalised envelope shared by every fact: ms event time, seq, arrival time. */
export interface FactBase {
  readonly deviceId: string
  readonly ts: number
  readonly seq?: number
  readonly recvMs: number
}

/** A fact, or why the registry cannot place the message (e.g. the device lost its site). */
export type Enriched = Fact | { readonly error: string }

/** One module per kind (docs/conventions.md, rule 3): its wire schema and how it becomes a fact. */
export interface KindDecoder<K extends Kind> {
  readonly schema: z.ZodType<DeviceMessage[K]>
  readonly toFact: (msg: DeviceMessage[K], base: FactBase, device: Device, registry: RegistryLookup) => Enriched
}
