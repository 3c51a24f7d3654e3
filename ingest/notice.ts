import { NOTICE_MAX_LISTED, type RejectedObject, type RejectionNotice } from '../contracts/rejection.ts'
import type { Rejected } from './process.ts'
import type { Inbound } from './types.ts'

/**
 * One notice per PUBLISH, however many of its objects were rejected: a 500-object bad batch is
 * one message on the device's errors topic, not 500. The top-level fields describe the first
 * rejected object (the v1 shape devices already read); `rejections` lists the first
 * NOTICE_MAX_LISTED, `more` counts the rest. `rejected` must not be empty.
 */
export function summariseRejections(rejected: readonly Rejected[], objects: number, msg: Inbound): RejectionNotice {
  const first = rejected[0]!
  const listed = rejected.slice(0, NOTICE_MAX_LISTED).map((r): RejectedObject => ({
    ...(r.fact.index === undefined ? {} : { index: r.fact.index }),
    ...(r.fact.seq === undefined ? {} : { seq: r.fact.seq }),
    ...(r.ticketId === undefined ? {} : { ticketId: r.ticketId }),
    code: r.fact.code,
    message: r.fact.error
  }))
  const more = rejected.length - listed.length
  return {
    v: 1,
    code: first.fact.code,
    message:
      rejected.length === 1
        ? first.fact.error
        : `${rejected.length} of ${objects} objects rejected; first: ${first.fact.error}`,
    topic: msg.topic,
    ...(first.fact.index === undefined ? {} : { index: first.fact.index }),
    ...(first.fact.seq === undefined ? {} : { seq: first.fact.seq }),
    ...(first.ticketId === undefined ? {} : { ticketId: first.ticketId }),
    issues: [...first.issues],
    receivedAt: new Date(msg.recvMs).toISOString(),
    rejected: rejected.length,
    objects: Math.max(objects, rejected.length),
    rejections: listed,
    more
  }
}
