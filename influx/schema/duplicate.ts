import type { DuplicateFact } from '../../contracts/facts.ts'
import { fnv1a32 } from '../../lib/hash.ts'
import { int, str, type Point } from '../point.ts'
import { MEASUREMENT } from './names.ts'
import { defined, optNum, optStr, type Row } from './row.ts'

/**
 * Measurement `duplicate`: one point per retransmission of an already committed data point.
 * Stamped with the arrival time (plus a hash of the identity), so each retransmission is its
 * own point while a retransmission of the same point in the same millisecond collapses.
 */
export function duplicatePoint(f: DuplicateFact): Point {
  return {
    measurement: MEASUREMENT.duplicate,
    tags: { device: f.deviceId, kind: f.dataKind },
    fields: {
      identity: str(f.identity),
      ticket_id: f.ticketId === undefined ? undefined : str(f.ticketId),
      seq: f.seq === undefined ? undefined : int(f.seq),
      event_ms: int(f.ts),
      recv_ms: int(f.recvMs)
    },
    timeNs: BigInt(f.recvMs) * 1_000_000n + BigInt(fnv1a32(f.identity) % 1_000_000)
  }
}

export function duplicateFact(r: Row): DuplicateFact {
  return {
    kind: 'duplicate',
    deviceId: String(r.device),
    ts: Number(r.event_ms),
    recvMs: Number(r.recv_ms),
    dataKind: String(r.kind) as DuplicateFact['dataKind'],
    identity: String(r.identity),
    ...defined({ seq: optNum(r.seq), ticketId: optStr(r.ticket_id) })
  }
}
