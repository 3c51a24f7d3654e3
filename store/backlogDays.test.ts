import { describe, expect, it, onTestFinished } from 'vitest'
import { backlogDays } from './backlogDays.ts'
import { openSpool } from './spool.ts'
import { tempDir } from './testing.ts'

const ns = (iso: string): string => `${Date.parse(iso)}000000`

describe('backlogDays', () => {
  it('names the local days of the points after the forwarding cursor, and only those', async () => {
    const { dir, cleanup } = await tempDir()
    onTestFinished(cleanup)
    const spool = await openSpool({ dir, maxBytes: 1024 * 1024 })
    onTestFinished(() => spool.close())
    await spool.append([Buffer.from(`weighing,site=ts-1 net_kg=1i ${ns('2026-11-01T10:00:00+08:00')}`)])
    await spool.commit(1) // forwarded: not part of the backlog
    await spool.append([
      Buffer.from(
        `weighing,site=ts-1 net_kg=2i ${ns('2026-11-02T23:59:00+08:00')}\n` +
          `fill,bin=b-1 pct=3 ${ns('2026-11-02T16:30:00Z')}` // 00:30 on the 3rd in Shanghai
      )
    ])
    expect([...(await backlogDays(spool, 'Asia/Shanghai'))].sort()).toEqual(['2026-11-02', '2026-11-03'])
  })
})
