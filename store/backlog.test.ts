import { describe, expect, it, onTestFinished } from 'vitest'
import { inheritedBacklog } from './backlog.ts'
import { openSpool } from './spool.ts'
import { tempDir } from './testing.ts'

const ns = (iso: string): string => `${Date.parse(iso)}000000`

describe('inheritedBacklog', () => {
  it('names the local days and the earliest arrival of the points after the forwarding cursor, and only those', async () => {
    const { dir, cleanup } = await tempDir()
    onTestFinished(cleanup)
    const spool = await openSpool({ dir, maxBytes: 1024 * 1024 })
    onTestFinished(() => spool.close())
    await spool.append([Buffer.from(`weighing,site=ts-1 net_kg=1i ${ns('2026-11-01T10:00:00+08:00')}`)])
    await spool.commit(1) // forwarded: not part of the backlog
    await spool.append([
      Buffer.from(
        `weighing,site=ts-1 net_kg=2i,recv_ms=${Date.parse('2026-11-03T00:00:05+08:00')}i ${ns('2026-11-02T23:59:00+08:00')}\n` +
          `fill,bin=b-1 pct=3 ${ns('2026-11-02T16:30:00Z')}` // 00:30 on the 3rd in Shanghai
      )
    ])
    const backlog = await inheritedBacklog(spool, 'Asia/Shanghai')
    expect([...backlog.days].sort()).toEqual(['2026-11-02', '2026-11-03'])
    // The weighing arrived at 00:00:05 (recv_ms); the fill reading carries no recv_ms: its own time.
    expect(backlog.earliestMs).toBe(Date.parse('2026-11-03T00:00:05+08:00'))
    expect(backlog.lastSeq).toBe(2)
    // The last arrival among the last records, forwarded or not: the fill's own time.
    expect(backlog.lastArrivalMs).toBe(Date.parse('2026-11-02T16:30:00Z'))
    expect(Object.fromEntries(backlog.recentDays)).toEqual({
      '2026-11-01': Date.parse('2026-11-01T10:00:00+08:00'), // forwarded, still on disk
      '2026-11-02': Date.parse('2026-11-03T00:00:05+08:00'),
      '2026-11-03': Date.parse('2026-11-02T16:30:00Z')
    })
  })
})
