import { spawn } from 'node:child_process'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openSpool } from './spool.ts'
import { recordData } from './testdata/crash-child.ts'
import { readAll, tempDir } from './testing.ts'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

interface Ack {
  first: number
  last: number
  w: number
  n: number
}

/** Run the child until it has printed `acksBeforeKill` acks, then SIGKILL it; return what it printed. */
function runAndKill(dir: string, acksBeforeKill: number): Promise<{ acks: Ack[]; commits: number[] }> {
  const script = path.join(import.meta.dirname, 'testdata/crash-child.ts')
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir], {
    cwd: path.join(import.meta.dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const acks: Ack[] = []
  const commits: number[] = []
  let rest = ''
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n')
      rest = lines.pop()!
      for (const l of lines) {
        const [t, ...v] = l.split(' ')
        if (t === 'A') {
          const [first, last, w, n] = v.map(Number) as [number, number, number, number]
          acks.push({ first, last, w, n })
        } else if (t === 'C') commits.push(Number(v[0]))
      }
      if (acks.length >= acksBeforeKill && child.exitCode === null && !child.killed) child.kill('SIGKILL')
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ acks, commits })
      else reject(new Error(`child exited with ${code ?? signal} before it was killed`))
    })
  })
}

describe('spool crash safety (SIGKILL of a real process)', () => {
  it('after kill -9 at a random moment every acknowledged record is there, byte for byte', async () => {
    const { dir, cleanup } = await tempDir()
    cleanups.push(cleanup)
    for (let round = 0; round < 3; round++) {
      const { acks, commits } = await runAndKill(dir, 300 + Math.floor(Math.random() * 2500))
      const spool = await openSpool({ dir, maxBytes: 4 * 1024 * 1024, segmentBytes: 32 * 1024 })
      try {
        const { committedSeq, recovery } = spool.stats()
        expect(recovery.lost).toEqual([])
        expect(committedSeq).toBeGreaterThanOrEqual(Math.max(0, ...commits)) // a finished commit is durable
        const bySeq = new Map((await readAll(spool.read, committedSeq + 1)).map((r) => [r.seq, r.data]))
        let checked = 0
        for (const a of acks) {
          for (let s = Math.max(a.first, committedSeq + 1); s <= a.last; s++) {
            const want = recordData(a.w, a.n, s - a.first)
            expect(bySeq.get(s)?.equals(want), `acked seq ${s} (round ${round})`).toBe(true)
            checked++
          }
        }
        expect(checked).toBeGreaterThan(0)
      } finally {
        await spool.close()
      }
    }
  }, 60_000)
})
