import type { ConflictFact } from '../../contracts/facts.ts'
import { fnv1a32 } from '../../lib/hash.ts'
import { int, str, type Point } from '../point.ts'
import { MEASUREMENT } from './names.ts'
import { defined, optNum, optStr, type Row } from './row.ts'

/**
 * Measurement `conflict`: one point per write that changed the content of an already committed
 * data point (same identity, other fields). Stamped like `duplicate` (arrival time plus a hash
 * of the identity), so every change is a point of its own.
 */
export function conflictPoint(f: ConflictFact): Point {
  return {
    measurement: MEASUREMENT.conflict,
    tags: { device: f.deviceId, kind: f.dataKind },
    fields: {
      identity: str(f.identity),
      ticket_id: f.ticketId === undefined ? undefined : str(f.ticketId),
      seq: f.seq === undefined ? undefined : int(f.seq),
      event_ms: int(f.ts),
      recv_ms: int(f.recvMs),
      previous: str(f.previous),
      current: str(f.current)
    },
    timeNs: BigInt(f.recvMs) * 1_000_000n + BigInt(fnv1a32(f.identity) % 1_000_000)
  }
}

export function conflictFact(r: Row): ConflictFact {
  return {
    kind: 'conflict',
    deviceId: String(r.device),
    ts: Number(r.event_ms),
    recvMs: Number(r.recv_ms),
    dataKind: String(r.kind) as ConflictFact['dataKind'],
    identity: String(r.identity),
    previous: String(r.previous ?? ''),
    current: String(r.current ?? ''),
    ...defined({ seq: optNum(r.seq), ticketId: optStr(r.ticket_id) })
  }
}
