import { Parser } from '@asyncapi/parser'
import { describe, expect, it } from 'vitest'
import { contractDocuments } from './export.ts'

// Vendors build against the AsyncAPI document: it must pass the AsyncAPI project's own
// parser and validator, not just look right.
describe('AsyncAPI document', () => {
  it('is a valid AsyncAPI 3.0 document with no errors or warnings', async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(contractDocuments()['asyncapi.json']))
    const problems = diagnostics
      .filter((d) => d.severity <= 1)
      .map((d) => `${d.code}: ${d.message} at ${JSON.stringify(d.path)}`)
    expect(problems).toEqual([])
    expect(document).toBeDefined()
    expect(
      document!
        .channels()
        .all()
        .map((c) => c.address())
    ).toEqual(
      expect.arrayContaining([
        'v1/devices/{deviceId}/weighing',
        'v1/devices/{deviceId}/errors',
        '$qingyun/v1/facts/{deviceId}'
      ])
    )
  }, 60_000)
})
