import { describe, expect, it } from 'vitest'
import { ApiError } from '../api.ts'
import { errorsOf, fieldErrors, matches } from './adminForms.ts'

describe('admin forms', () => {
  it("puts each server issue beside its field, the rest in the form's line", () => {
    expect(
      fieldErrors(
        [
          { path: 'siteId', message: 'site "x" does not exist' },
          { path: 'siteId', message: 'second' },
          { path: 'zones.0', message: 'elsewhere' },
          { path: '', message: 'whole body' }
        ],
        ['id', 'siteId']
      )
    ).toEqual({ siteId: 'site "x" does not exist; second', '': 'zones.0: elsewhere; whole body' })
  })

  it("shows a refusal's message when it names no field", () => {
    expect(errorsOf(new ApiError(503, 'API_E_UNAVAILABLE', 'locked'), ['id'])).toEqual({ '': 'locked' })
    expect(
      errorsOf(new ApiError(409, 'API_E_CONFLICT', 'x', [{ path: 'id', message: 'already registered' }]), ['id'])
    ).toEqual({ id: 'already registered' })
    expect(errorsOf(new Error('offline'), ['id'])).toEqual({ '': 'offline' })
  })

  it('matches every word of a search in any column', () => {
    expect(matches('', ['a'])).toBe(true)
    expect(matches('WB 新吴', ['wb-2', '新吴区测试分拣中心', null])).toBe(true)
    expect(matches('wb gps', ['wb-2'])).toBe(false)
  })
})
