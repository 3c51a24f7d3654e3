import { describe, expect, it } from 'vitest'
import { resolveRules } from '../../contracts/registry.ts'
import { RulesView, toIssue } from './admin.ts'

describe('admin problems → issues naming the body field', () => {
  it("keeps a field path, dotted, without the change's wrapper", () => {
    expect(
      toIssue({ path: 'zone.windows[1].from', message: 'must be a local time HH:MM' }, 'zone', ['name', 'windows'])
    ).toEqual({ in: 'body', path: 'windows.1.from', message: 'must be a local time HH:MM' })
    expect(toIssue({ path: 'dailyTargetT', message: 'Too small' }, '', ['dailyTargetT'])).toEqual({
      in: 'body',
      path: 'dailyTargetT',
      message: 'Too small'
    })
    expect(
      toIssue({ path: 'rules.binNeedsServicePct', message: 'must not exceed' }, 'rules', [
        'binNeedsServicePct',
        'binOverflowPct'
      ])
    ).toMatchObject({ path: 'binNeedsServicePct' })
  })

  it('names no field when the problem is about one the body does not hold', () => {
    expect(
      toIssue({ path: 'rules.binNeedsServicePct', message: 'must not exceed binOverflowPct (50)' }, 'rules', [
        'binOverflowPct'
      ])
    ).toEqual({ in: 'body', path: '', message: 'rules.binNeedsServicePct: must not exceed binOverflowPct (50)' })
    expect(toIssue({ path: '', message: 'something odd happened' }, '', ['a'])).toEqual({
      in: 'body',
      path: '',
      message: 'something odd happened'
    })
  })
})

describe('GET /admin/rules', () => {
  it('answers every resolved threshold in `effective` (the response schema strips what it does not name)', () => {
    const effective = resolveRules({ speedingTolerancePct: 15 })
    expect(RulesView.parse({ rules: {}, effective }).effective).toEqual(effective)
  })
})
