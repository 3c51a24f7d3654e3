import { transform } from 'esbuild'
import { describe, expect, it } from 'vitest'
// @ts-expect-error a plain module-loader hook (JavaScript, no types)
import { dropKeepNames } from './keepNamesHook.mjs'

const SOURCE = `
export function makeCounter(start: number) {
  let n = start
  const next = (by: number) => (n += by)
  return { next, value: () => n, fail: () => { throw new Error('boom') } }
}
`

// What tsx asks esbuild for (its transform options: whitespace minified, names kept).
const asTsx = async (code: string): Promise<string> =>
  (await transform(code, { loader: 'ts', format: 'esm', minifyWhitespace: true, keepNames: true })).code

const run = async (code: string): Promise<Record<string, unknown>> =>
  (await import(`data:text/javascript,${encodeURIComponent(code)}`)) as Record<string, unknown>

describe('the keepNames hook', () => {
  it("makes esbuild's __name helper a no-op of the same length, and the module still works", async () => {
    const out = await asTsx(SOURCE)
    expect(out).toMatch(/var __name=/)
    const dropped = dropKeepNames(out) as string
    expect(dropped).not.toBe(out)
    expect(dropped).toHaveLength(out.length)
    // Every other character stays in its column, so the inline source map still points right.
    const at = dropped.indexOf('function makeCounter')
    expect(at).toBe(out.indexOf('function makeCounter'))
    expect(dropped.slice(at)).toBe(out.slice(at))

    const kept = (await run(out))['makeCounter'] as (n: number) => { next: (by: number) => number }
    const plain = (await run(dropped))['makeCounter'] as (n: number) => { next: (by: number) => number }
    expect(plain(1).next(2)).toBe(kept(1).next(2))
    // The closure no longer gets an own `name` defined on it (the per-closure property store).
    expect(Object.getOwnPropertyDescriptor(kept(0).next, 'name')?.value).toBe('next')
    expect(plain.name).toBe('makeCounter')
  })

  it('leaves code without the helper as it is', () => {
    const code = 'export const x = 1\n'
    expect(dropKeepNames(code)).toBe(code)
  })
})
