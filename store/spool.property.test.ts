import { open as fsOpen, readdir, stat, truncate } from 'node:fs/promises'
import path from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseSegmentName } from './segment.ts'
import { openSpool, type Spool } from './spool.ts'
import { readAll, tempDir } from './testing.ts'

type Op =
  | { t: 'append'; records: Uint8Array[]; concurrent: boolean }
  | { t: 'commit'; frac: number }
  | { t: 'reopen' }
  | { t: 'truncate'; frac: number }
  | { t: 'flip'; seg: number; frac: number }

const fraction = fc.double({ min: 0, max: 1, noNaN: true })
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('append' as const),
      records: fc.array(fc.uint8Array({ maxLength: 120 }), { minLength: 1, maxLength: 5 }),
      concurrent: fc.boolean()
    })
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('commit' as const), frac: fraction }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reopen' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('truncate' as const), frac: fraction }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('flip' as const),
      seg: fc.nat(),
      frac: fc.double({ min: 0, max: 0.9999, noNaN: true })
    })
  }
)

const segFiles = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((f) => f.endsWith('.seg')).sort()

describe('spool property: acknowledged, uncommitted records survive reopen and damage', () => {
  it('every acked record past the cursor is read back once, in order, unless in a reported damaged range', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const { dir, cleanup } = await tempDir()
        const open = (): Promise<Spool> => openSpool({ dir, maxBytes: 1 << 20, segmentBytes: 400 })
        const model = new Map<number, Buffer>()
        // Records recovery reported lost. A second flip of the same byte repairs one, and then it
        // may be read again — with its exact bytes.
        const ghosts = new Map<number, Buffer>()
        const lose = (s: number): void => {
          const b = model.get(s)
          if (b) ghosts.set(s, b)
          model.delete(s)
        }
        let spool = await open()
        // Apply what recovery reported as lost or cut, then check the read-back against the model.
        const check = async (damage: 'none' | 'flip' | 'truncate'): Promise<void> => {
          const { recovery, committedSeq } = spool.stats()
          const before = model.size
          for (const l of recovery.lost) {
            for (let s = l.fromSeq ?? Infinity; s <= (l.toSeq ?? -Infinity); s++) lose(s)
          }
          for (const c of recovery.cut) {
            const base = parseSegmentName(c.segment)!
            for (const s of [...model.keys()]) if (s >= base && s > c.afterSeq) lose(s)
          }
          if (damage === 'none') expect(model.size).toBe(before)
          const got = await readAll(spool.read, committedSeq + 1)
          for (let i = 1; i < got.length; i++) expect(got[i]!.seq).toBeGreaterThan(got[i - 1]!.seq)
          for (const r of got) {
            const want = model.get(r.seq) ?? ghosts.get(r.seq)
            expect(want?.equals(r.data), `seq ${r.seq}`).toBe(true)
            model.set(r.seq, want!)
          }
          const expected = [...model.keys()].filter((s) => s > committedSeq).sort((a, b) => a - b)
          const gotSeqs = new Set(got.map((r) => r.seq))
          const missing = expected.filter((s) => !gotSeqs.has(s))
          if (damage === 'truncate') {
            // A cut exactly on a frame boundary leaves nothing to detect: only a suffix of the last
            // segment may be missing, nothing before it.
            const lastBase = parseSegmentName((await segFiles(dir)).at(-1)!)!
            const maxGot = got.at(-1)?.seq ?? committedSeq
            for (const s of missing) expect(s >= lastBase && s > maxGot, `seq ${s} missing`).toBe(true)
            for (const s of missing) lose(s)
          } else {
            expect(missing).toEqual([])
          }
          if (damage === 'flip') expect(before - model.size).toBeLessThanOrEqual(1)
        }
        type Damage = 'none' | 'flip' | 'truncate'
        const reopen = async (damage: (() => Promise<void>) | undefined, kind: Damage): Promise<void> => {
          await spool.close()
          await damage?.()
          spool = await open()
          await check(kind)
        }
        try {
          for (const o of ops) {
            if (o.t === 'append') {
              const records = o.records.map((r) => Buffer.from(r))
              // one append of them all, or one per record at once (sharing group commits)
              const acks = o.concurrent
                ? await Promise.all(records.map((r) => spool.append([r]).then(({ first }) => [[first, r]] as const)))
                : [await spool.append(records).then(({ first }) => records.map((r, i) => [first + i, r] as const))]
              for (const [seq, r] of acks.flat()) {
                model.set(seq, r)
                ghosts.delete(seq)
              }
            } else if (o.t === 'commit') {
              const { committedSeq, appendedSeq } = spool.stats()
              const upto = committedSeq + Math.floor(o.frac * (appendedSeq - committedSeq))
              await spool.commit(upto)
              for (const s of [...model.keys()]) if (s <= upto) model.delete(s)
            } else if (o.t === 'reopen') {
              await reopen(undefined, 'none')
            } else if (o.t === 'truncate') {
              await reopen(async () => {
                const file = path.join(dir, (await segFiles(dir)).at(-1)!)
                await truncate(file, Math.floor(o.frac * (await stat(file)).size))
              }, 'truncate')
            } else {
              await reopen(async () => {
                const files = await segFiles(dir)
                const file = path.join(dir, files[o.seg % files.length]!)
                const size = (await stat(file)).size
                if (size === 0) return
                const fh = await fsOpen(file, 'r+')
                const b = Buffer.alloc(1)
                const at = Math.floor(o.frac * size)
                await fh.read(b, 0, 1, at)
                b[0] = b[0]! ^ 0xff
                await fh.write(b, 0, 1, at)
                await fh.close()
              }, 'flip')
            }
          }
          await reopen(undefined, 'none')
        } finally {
          await spool.close()
          await cleanup()
        }
      }),
      { numRuns: 60 }
    )
  }, 120_000)
})
