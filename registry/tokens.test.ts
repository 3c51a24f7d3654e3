import { describe, expect, it } from 'vitest'
import { TOKEN_HASH_PATTERN } from '../contracts/registry.ts'
import { TOKEN_PATTERN, generateToken, hashToken, verifyToken } from './tokens.ts'

describe('tokens', () => {
  it('are 32 random bytes in base64url after the prefix', () => {
    const a = generateToken('qyd_')
    const b = generateToken('qys_')
    expect(a).toMatch(/^qyd_[A-Za-z0-9_-]{43}$/)
    expect(b).toMatch(/^qys_/)
    expect(Buffer.from(a.slice(4), 'base64url')).toHaveLength(32)
    expect(TOKEN_PATTERN.test(a) && TOKEN_PATTERN.test(b)).toBe(true)
    expect(generateToken('qyd_')).not.toBe(a)
  })

  it('hash to sha256:<hex>', () => {
    // SHA-256 of "abc" (FIPS 180-2, appendix B.1).
    expect(hashToken('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(hashToken(generateToken('qyd_'))).toMatch(TOKEN_HASH_PATTERN)
  })

  it('verify the right token, as a string or as the Buffer an MQTT password arrives in', () => {
    const token = generateToken('qyd_')
    const hash = hashToken(token)
    expect(verifyToken(hash, token)).toBe(true)
    expect(verifyToken(hash, Buffer.from(token))).toBe(true)
  })

  it('reject a wrong token, a missing hash and a malformed hash', () => {
    const token = generateToken('qyd_')
    const hash = hashToken(token)
    expect(verifyToken(hash, generateToken('qyd_'))).toBe(false)
    expect(verifyToken(hash, `${token}x`)).toBe(false)
    expect(verifyToken(hash, '')).toBe(false)
    expect(verifyToken(undefined, token)).toBe(false)
    expect(verifyToken('sha256:abc', token)).toBe(false)
    expect(verifyToken(hash.toUpperCase(), token)).toBe(false)
  })
})
