import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { CURSOR_FILE, encodeCursor, openCursor, readCursor } from './cursor.ts'
import { nodeFs } from './fsio.ts'
import { tempDir } from './testing.ts'

async function scratch(): Promise<string> {
  const { dir, cleanup } = await tempDir()
  onTestFinished(cleanup)
  return dir
}

describe('the forwarding cursor (two slots, written in place)', () => {
  it('reads back the last value written, from a fresh file and after reopening', async () => {
    const dir = await scratch()
    const c = await openCursor(nodeFs, dir, 0)
    await c.write(5)
    await c.write(7)
    await c.close()
    expect(await readCursor(nodeFs, dir)).toEqual({ seq: 7, bad: false })
    const again = await openCursor(nodeFs, dir, 7)
    await again.write(9)
    await again.close()
    expect(await readCursor(nodeFs, dir)).toEqual({ seq: 9, bad: false })
    expect((await readFile(path.join(dir, CURSOR_FILE))).length).toBe(32)
  })

  it('a torn write damages one slot only: the previous value is still there', async () => {
    const dir = await scratch()
    const c = await openCursor(nodeFs, dir, 0)
    await c.write(5)
    await c.write(7)
    await c.close()
    const file = path.join(dir, CURSOR_FILE)
    const b = await readFile(file)
    const slot7 = b.subarray(0, 16).equals(encodeCursor(7)) ? 0 : 16
    b.fill(0xff, slot7 + 6, slot7 + 12) // half of the seq torn
    await writeFile(file, b)
    expect(await readCursor(nodeFs, dir)).toEqual({ seq: 5, bad: false })
  })

  it('both slots damaged: replay everything (seq 0), reported as damaged', async () => {
    const dir = await scratch()
    await writeFile(path.join(dir, CURSOR_FILE), Buffer.alloc(32, 0xab))
    expect(await readCursor(nodeFs, dir)).toEqual({ seq: 0, bad: true })
  })

  it('takes over a one-slot file written by an earlier version', async () => {
    const dir = await scratch()
    await writeFile(path.join(dir, CURSOR_FILE), encodeCursor(42))
    expect(await readCursor(nodeFs, dir)).toEqual({ seq: 42, bad: false })
    const c = await openCursor(nodeFs, dir, 42)
    await c.write(50)
    await c.close()
    expect(await readCursor(nodeFs, dir)).toEqual({ seq: 50, bad: false })
  })
})
