import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Kind } from '../contracts/device/index.ts'
import { toLine } from '../influx/lineProtocol.ts'
import { lookup, testRegistry } from '../test/fixtures/registry.ts'
import { toPoint } from '../influx/schema/index.ts'
import { processMessage } from './process.ts'

// Golden cases: input message → the exact line protocol ingest writes (data points, then
// rejection records). UPDATE_GOLDEN=1 rewrites the .lp files; review the diff before committing.

const dir = new URL('./testdata/golden/', import.meta.url)
const Case = z.object({
  name: z.string(),
  deviceId: z.string(),
  kind: Kind,
  recvMs: z.number(),
  payload: z.unknown().optional(),
  raw: z.string().optional()
})
const cases = z.array(Case).parse(JSON.parse(readFileSync(new URL('cases.json', dir), 'utf8')))
const limits = { maxPayloadBytes: 256 * 1024, tsMaxFutureMs: 10 * 60_000, tsMaxAgeMs: 30 * 86_400_000 }
const registry = lookup(testRegistry().registry)

describe('ingest golden line protocol', () => {
  for (const c of cases) {
    it(c.name, () => {
      const payload = Buffer.from(c.raw ?? JSON.stringify(c.payload), 'utf8')
      const topic = `v1/devices/${c.deviceId}/${c.kind}`
      const out = processMessage(
        { deviceId: c.deviceId, kind: c.kind, topic, payload, recvMs: c.recvMs },
        registry,
        limits
      )
      const lines =
        [...out.accepted, ...out.rejected.map((r) => r.fact)].map((f) => toLine(toPoint(f))).join('\n') + '\n'
      const file = new URL(`${c.name}.lp`, dir)
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, lines)
      expect(existsSync(file), `${file.pathname} missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true)
      expect(lines).toBe(readFileSync(file, 'utf8'))
    })
  }
})
