// Faults on demand, decided with the run's seed. Each names what the completeness report must
// say about it: malformed → rejected (INGEST_E_JSON / INGEST_E_SCHEMA), duplicates → duplicates,
// a clock far ahead → INGEST_E_TS_RANGE, out-of-order and late batches → accepted, no gaps.
import { z } from 'zod'
import type { Kind } from '../../contracts/device/index.ts'
import { rngFor, type Rng } from '../city/rng.ts'

const Share = z.coerce.number().min(0).max(1)

export const FaultOptions = z.object({
  /** Share of messages followed by a malformed one (half not JSON, half failing the schema). */
  malformed: Share.default(0),
  /** Share of messages sent again, same bytes, after their PUBACK. */
  duplicates: Share.default(0),
  /** Share of messages held back and sent after the device's next one. */
  outOfOrder: Share.default(0),
  /** Share of devices with an outage: their data is buffered and sent later as arrays (≤ 500). */
  late: Share.default(0),
  /** Share of fill sensors and trackers whose clock is hours ahead (every message INGEST_E_TS_RANGE). */
  skew: Share.default(0),
  /** Reconnect storms: this many times in the run, every connection is dropped at once. */
  storms: z.coerce.number().int().min(0).max(100).default(0)
})
export type FaultOptions = z.infer<typeof FaultOptions>

export interface DeviceFaults {
  /** Clock offset ahead of the wall clock (ms) for a skewed device. */
  readonly aheadMs?: number
  /** Simulated outage [start, end) for a late-batch device. */
  readonly outage?: { readonly start: number; readonly end: number }
}

/** Which devices carry a standing fault: skew and late are disjoint; weighbridges are never skewed. */
export function deviceFaults(
  ids: readonly { id: string; type: string }[],
  f: FaultOptions,
  seed: number,
  dayStart: number,
  dayEnd: number
): Map<string, DeviceFaults> {
  const out = new Map<string, DeviceFaults>()
  for (const d of ids) {
    const rng = rngFor(seed, 'fault', d.id)
    const r = rng()
    if (d.type !== 'weighbridge' && r < f.skew) {
      out.set(d.id, { aheadMs: Math.round((1 + rng() * 3) * 3_600_000) })
    } else if (r >= f.skew && r < f.skew + f.late) {
      const span = dayEnd - dayStart
      const start = dayStart + Math.round(span * (0.3 + rng() * 0.4))
      out.set(d.id, {
        outage: { start, end: Math.min(dayEnd - 60_000, start + Math.round(span * (0.05 + rng() * 0.1))) }
      })
    }
  }
  return out
}

export function faultRng(seed: number): Rng {
  return rngFor(seed, 'faults')
}

/** A payload the ingest must refuse, unique per call (`n`) so its rejection record is its own. */
export function malformedPayload(
  kind: Kind,
  ts: string,
  n: number,
  json: boolean
): { payload: string; code: 'INGEST_E_JSON' | 'INGEST_E_SCHEMA' } {
  if (json) return { payload: `{"ts":"${ts}","garbled":${n},`, code: 'INGEST_E_JSON' }
  const bad: Record<Kind, Record<string, unknown>> = {
    weighing: {
      ticketId: `BAD-${n}`,
      direction: 'in',
      stream: 'residual',
      grossKg: 20000,
      tareKg: 10000,
      netKg: 1,
      plate: '苏B12345'
    },
    fill: { fillPct: 999, note: n },
    position: { lat: 31.5, lon: 120.3, speedKmh: -5, note: n },
    status: { rssiDbm: 50, note: n }
  }
  return { payload: JSON.stringify({ ts, ...bad[kind] }), code: 'INGEST_E_SCHEMA' }
}
