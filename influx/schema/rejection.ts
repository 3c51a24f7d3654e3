import type { RejectionFact } from '../../contracts/facts.ts'
import type { RejectionCode } from '../../contracts/rejection.ts'
import { int, str, type Point } from '../point.ts'
import { MEASUREMENT } from './names.ts'
import { defined, optNum, type Row } from './row.ts'
import { pointTime } from './time.ts'

/**
 * A rejection is stamped with the object's event time when it had a usable one, so a
 * retransmitted bad message overwrites its own record; otherwise with the arrival time.
 */
export function rejectionPoint(f: RejectionFact): Point {
  return {
    measurement: MEASUREMENT.rejection,
    tags: { device: f.deviceId, code: f.code, kind: f.msgKind },
    fields: {
      topic: str(f.topic),
      error: str(f.error),
      excerpt: str(f.excerpt),
      index: f.index === undefined ? undefined : int(f.index),
      seq: f.seq === undefined ? undefined : int(f.seq),
      event_ms: f.ts === undefined ? undefined : int(f.ts),
      recv_ms: int(f.recvMs)
    },
    timeNs: pointTime(f.ts ?? f.recvMs, `${f.index ?? ''}|${f.code}|${f.excerpt}`)
  }
}

/** Its event time is `event_ms` (the point's time is the arrival time when there was none). */
export function rejectionFact(r: Row): RejectionFact {
  return {
    kind: 'rejection',
    deviceId: String(r.device),
    recvMs: Number(r.recv_ms),
    code: String(r.code) as RejectionCode,
    msgKind: String(r.kind),
    topic: String(r.topic ?? ''),
    error: String(r.error ?? ''),
    excerpt: String(r.excerpt ?? ''),
    ...defined({ index: optNum(r.index), ts: optNum(r.event_ms), seq: optNum(r.seq) })
  }
}
