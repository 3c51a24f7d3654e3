import { describe, expect, it } from 'vitest'
import type { Alert } from '../../contracts/ops.ts'
import { fnv1a32 } from '../../lib/hash.ts'
import { alertLine, alertTimeNs, rowToAlert } from './alert.ts'

const open: Alert = {
  id: '0123456789abcdef01234567',
  type: 'site-will-not-clear',
  severity: 'critical',
  subject: { kind: 'site', id: 'ts-lx-01' },
  state: 'open',
  openedAt: 1781496000000,
  updatedAt: 1781496000000,
  resolvedAt: null,
  acknowledgedAt: null,
  acknowledgedBy: null,
  message: '梁溪区扬名转运站 will not clear today: projected stock 42.1 t > tolerance 1 t',
  details: { projectedStockT: 42.1, toleranceT: 1, day: '2026-06-15' }
}

describe('alert points', () => {
  it('writes an open alert without the fields it does not have yet', () => {
    expect(alertLine(open)).toBe(
      'alert,severity=critical,subject_id=ts-lx-01,subject_kind=site,type=site-will-not-clear ' +
        'id="0123456789abcdef01234567",state="open",opened_at=1781496000000i,updated_at=1781496000000i,' +
        'message="梁溪区扬名转运站 will not clear today: projected stock 42.1 t > tolerance 1 t",' +
        'details="{\\"projectedStockT\\":42.1,\\"toleranceT\\":1,\\"day\\":\\"2026-06-15\\"}" ' +
        `${alertTimeNs(open)}`
    )
    expect(alertTimeNs(open)).toBe(1781496000000n * 1_000_000n + BigInt(fnv1a32(open.id) % 1_000_000))
  })

  it('rewrites the same point (same tags and time) on every transition', () => {
    const done: Alert = {
      ...open,
      state: 'resolved',
      resolvedAt: open.openedAt + 5,
      updatedAt: open.openedAt + 5,
      acknowledgedAt: open.openedAt + 1,
      acknowledgedBy: 'op-zhang'
    }
    const head = (line: string): string => line.split(' ')[0]!
    const time = (line: string): string => line.split(' ').at(-1)!
    expect(head(alertLine(done))).toBe(head(alertLine(open)))
    expect(time(alertLine(done))).toBe(time(alertLine(open)))
    expect(alertLine(done)).toContain('resolved_at=1781496000005i,ack_at=1781496000001i,ack_by="op-zhang"')
  })

  it('reads a stored row back into the same alert, and refuses one that is not an alert', () => {
    const row = {
      time: open.openedAt,
      type: open.type,
      severity: open.severity,
      subject_kind: 'site',
      subject_id: 'ts-lx-01',
      id: open.id,
      state: 'open',
      opened_at: open.openedAt,
      updated_at: open.updatedAt,
      resolved_at: null,
      ack_at: null,
      ack_by: null,
      message: open.message,
      details: JSON.stringify(open.details)
    }
    expect(rowToAlert(row)).toEqual(open)
    expect(rowToAlert({ ...row, type: 'bogus' })).toBeUndefined()
    expect(rowToAlert({ ...row, details: 'not json' })).toEqual({ ...open, details: {} })
  })
})
