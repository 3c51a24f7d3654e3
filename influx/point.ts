// A point as the ingest maps it, before line-protocol serialisation (influx/lineProtocol.ts).
// Field values carry their InfluxDB type explicitly: a field never changes type
// (docs/conventions.md, rule 11), and integers must be written with the `i` suffix.
export type Field =
  | { readonly t: 'f'; readonly v: number }
  | { readonly t: 'i'; readonly v: number }
  | { readonly t: 's'; readonly v: string }
  | { readonly t: 'b'; readonly v: boolean }

export const float = (v: number): Field => ({ t: 'f', v })
export const int = (v: number): Field => ({ t: 'i', v })
export const str = (v: string): Field => ({ t: 's', v })
export const bool = (v: boolean): Field => ({ t: 'b', v })

export interface Point {
  readonly measurement: string
  /** Only bounded sets (site, device, stream, direction...). Undefined/empty tags are omitted. */
  readonly tags: Readonly<Record<string, string | undefined>>
  readonly fields: Readonly<Record<string, Field | undefined>>
  /** Nanoseconds since the epoch: event time in ms × 1e6 + a deterministic sub-ms offset. */
  readonly timeNs: bigint
}
