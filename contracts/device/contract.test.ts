import { readFileSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Kind, MAX_BATCH, deviceMessages } from './index.ts'

const dir = new URL('../testdata/', import.meta.url)
const kindOf = (file: string): Kind => Kind.parse(file.split(/[-.]/)[0])

describe('wire contract v1 fixtures', () => {
  for (const file of readdirSync(new URL('valid/', dir))) {
    it(`accepts valid/${file}`, () => {
      const json: unknown = JSON.parse(readFileSync(new URL(`valid/${file}`, dir), 'utf8'))
      const items = Array.isArray(json) ? json : [json]
      expect(items.length).toBeLessThanOrEqual(MAX_BATCH)
      for (const item of items) {
        const r = deviceMessages[kindOf(file)].safeParse(item)
        expect(r.error?.issues ?? []).toEqual([])
      }
    })
  }

  const cases = z
    .array(z.object({ name: z.string(), kind: Kind, payload: z.unknown(), paths: z.array(z.string()) }))
    .parse(JSON.parse(readFileSync(new URL('invalid/cases.json', dir), 'utf8')))
  for (const c of cases) {
    it(`rejects: ${c.name}`, () => {
      const r = deviceMessages[c.kind].safeParse(c.payload)
      expect(r.success).toBe(false)
      const paths = [...new Set(r.error!.issues.map((i) => i.path.join('.')))].sort()
      expect(paths).toEqual([...c.paths].sort())
      for (const issue of r.error!.issues) expect(issue.message.length).toBeGreaterThan(0)
    })
  }
})
