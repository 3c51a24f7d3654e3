// Device and service credentials.
//
// Tokens are 256 random bits, so a plain SHA-256 of the token is a sufficient verifier
// (docs/architecture.md, decision 7): nothing is guessable to brute-force, which is all a slow password hash
// (bcrypt, scrypt, argon2) protects against. A slow hash would cost tens of milliseconds of
// CPU per CONNECT, and after a broker restart thousands of devices reconnect at once — the
// storm would take minutes of CPU; SHA-256 verifies in about a microsecond.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { TokenHash } from '../contracts/registry.ts'
import { TOKEN_HASH_PATTERN } from '../contracts/registry.ts'

export { TOKEN_PATTERN } from '../contracts/registry.ts'

/** `qyd_` for devices, `qys_` for services, `qyo_` for operators (dashboard-api bearer
 *  tokens): a leaked token says what it opens. */
export type TokenPrefix = 'qyd_' | 'qys_' | 'qyo_'
export const DEVICE_TOKEN_PREFIX: TokenPrefix = 'qyd_'
export const SERVICE_TOKEN_PREFIX: TokenPrefix = 'qys_'
export const OPERATOR_TOKEN_PREFIX: TokenPrefix = 'qyo_'

export function generateToken(prefix: TokenPrefix): string {
  return prefix + randomBytes(32).toString('base64url')
}

export function hashToken(token: string | Uint8Array): TokenHash {
  return `sha256:${createHash('sha256').update(token).digest('hex')}`
}

/**
 * Constant-time check of a presented token (an MQTT password arrives as a Buffer) against a
 * stored hash. False when there is no hash: such a device has no credential yet.
 */
export function verifyToken(tokenHash: string | undefined, presented: string | Uint8Array): boolean {
  if (tokenHash === undefined || !TOKEN_HASH_PATTERN.test(tokenHash)) return false
  const expected = Buffer.from(tokenHash.slice('sha256:'.length), 'hex')
  const actual = createHash('sha256').update(presented).digest()
  // Both are 32-byte digests, so timingSafeEqual never throws on a length mismatch and the
  // comparison time does not depend on the presented token.
  return timingSafeEqual(expected, actual)
}
