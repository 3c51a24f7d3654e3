import type { Bin, Device, Site, Vehicle } from '../contracts/registry.ts'
import type { Kind } from '../contracts/device/index.ts'

/** One PUBLISH as the broker hands it to ingest, after authentication and ACL. */
export interface Inbound {
  readonly deviceId: string
  readonly kind: Kind
  readonly topic: string
  readonly payload: Uint8Array
  /** Arrival time at the broker, epoch ms. */
  readonly recvMs: number
}

export interface Limits {
  readonly maxPayloadBytes: number
  /** `ts` later than arrival + this is rejected (device clock ahead). */
  readonly tsMaxFutureMs: number
  /** `ts` earlier than arrival − this is rejected (older than retention/backfill policy). */
  readonly tsMaxAgeMs: number
  /** Deeper `[`/`{` nesting is rejected before JSON.parse (default DEFAULT_MAX_JSON_DEPTH). */
  readonly maxJsonDepth?: number
}

/** What ingest reads from the registry; registry/store.ts provides it. */
export interface RegistryLookup {
  device(id: string): Device | undefined
  site(id: string): Site | undefined
  bin(id: string): Bin | undefined
  vehicle(id: string): Vehicle | undefined
}
