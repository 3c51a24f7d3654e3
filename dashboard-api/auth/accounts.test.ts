import { describe, expect, it } from 'vitest'
import type { UsersFile } from '../../contracts/users.ts'
import { hashToken } from '../../registry/tokens.ts'
import { changeAccount, rotateAccount } from './accounts.ts'

const user = (name: string, role: 'viewer' | 'operator' | 'admin', enabled = true) => ({
  name,
  role,
  enabled,
  tokenHash: hashToken(name),
  createdAt: '2026-12-01T08:00:00+08:00'
})
const file = (...users: ReturnType<typeof user>[]): UsersFile => ({ version: 1, users })

describe('operator account changes', () => {
  it('never leaves the accounts without an enabled admin', () => {
    const f = file(user('a', 'admin'), user('b', 'operator'), user('c', 'admin', false))
    expect(() => changeAccount(f, 'a', { enabled: false })).toThrow(/^disabling "a" would leave no enabled admin/)
    expect(() => changeAccount(f, 'a', { role: 'viewer' })).toThrow(/^demoting "a" would leave no enabled admin/)
    expect(() => changeAccount(f, 'a', { role: 'viewer' })).toThrow(
      expect.objectContaining({ code: 'USERS_E_LAST_ADMIN' })
    )
    // Enabling the other admin first makes it possible.
    const g = changeAccount(f, 'c', { enabled: true }).file
    expect(changeAccount(g, 'a', { enabled: false }).user).toMatchObject({ name: 'a', enabled: false })
    expect(changeAccount(f, 'b', { role: 'admin' }).user).toMatchObject({ role: 'admin' })
  })

  it('leaves a file that had no enabled admin changeable (the CLI made it so)', () => {
    const f = file(user('b', 'operator'))
    expect(changeAccount(f, 'b', { enabled: false }).user.enabled).toBe(false)
  })

  it('rotates: a new hash, enabled, nothing else changed; unknown names refused', () => {
    const f = file(user('b', 'operator', false))
    const { user: u, token } = rotateAccount(f, 'b')
    expect(u).toMatchObject({ name: 'b', role: 'operator', enabled: true, tokenHash: hashToken(token) })
    expect(() => rotateAccount(f, 'x')).toThrow(expect.objectContaining({ code: 'USERS_E_UNKNOWN' }))
    expect(() => changeAccount(f, 'x', { enabled: true })).toThrow(expect.objectContaining({ code: 'USERS_E_UNKNOWN' }))
  })
})
