import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { num, oneId, parse, reportUsage, required, UsageError } from './args.ts'

function usageMessage(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError)
    return (err as Error).message
  }
  throw new Error('expected a UsageError')
}

describe('cli arguments', () => {
  it('parses string options and positionals, and names the command in every refusal', () => {
    const out = { out: { type: 'string' } } as const
    expect(parse('x add', ['a', '--out', 'f'], out)).toEqual({ values: { out: 'f' }, positionals: ['a'] })
    expect(usageMessage(() => parse('x add', ['--nope'], out))).toMatch(/^x add: .*--nope/)
    expect(usageMessage(() => parse('x add', ['--out'], out))).toMatch(/^x add: .*--out/)
    expect(usageMessage(() => parse('sim city', ['extra'], {}, { positionals: false }))).toMatch(/^sim city: .*extra/)
  })

  it('converts numbers through a schema, with the default when the option is absent', () => {
    expect(num('c', 'speed', undefined, 60)).toBe(60)
    expect(num('c', 'speed', '2.5', 60)).toBe(2.5)
    expect(usageMessage(() => num('c', 'speed', '0', 60))).toMatch(/^c: --speed "0": /)
    expect(usageMessage(() => num('c', 'seed', '1.5', 1, z.coerce.number().int()))).toMatch(/^c: --seed "1.5": /)
  })

  it('requires options and single IDs', () => {
    expect(required('c', '--out FILE', 'f')).toBe('f')
    expect(usageMessage(() => required('c', '--out FILE', undefined))).toBe('c: --out FILE is required')
    expect(usageMessage(() => required('c', '--out FILE', ''))).toBe('c: --out FILE is required')
    expect(oneId('c', ['wb-1'])).toBe('wb-1')
    expect(usageMessage(() => oneId('c', ['a', 'b'], 'NAME'))).toBe('c: expected exactly one NAME, got 2')
    expect(usageMessage(() => oneId('c', ['-x']))).toMatch(/^c: ID "-x" is invalid: /)
  })

  it('reports a usage error as its message and the usage, exit code 2', () => {
    const err = new PassThrough()
    let text = ''
    err.on('data', (b: Buffer) => (text += b.toString()))
    expect(reportUsage(err, new UsageError('c: bad'), 'usage: c')).toBe(2)
    expect(text).toBe('c: bad\nusage: c\n')
  })
})
