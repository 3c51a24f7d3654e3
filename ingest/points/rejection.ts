import type { RejectionFact } from '../../contracts/facts.ts'
import { int, str, type Point } from '../../influx/point.ts'
import { pointTime } from './time.ts'

/**
 * A rejection is stamped with the object's event time when it had a usable one, so a
 * retransmitted bad message overwrites its own record; otherwise with the arrival time.
 */
export function rejectionPoint(f: RejectionFact): Point {
  return {
    measurement: 'rejection',
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
