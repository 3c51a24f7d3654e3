// Who may in, shared by REST (auth/plugin.ts) and the websocket (ws/session.ts).
//
// A valid token always gets in: failures by others never lock out an operator — behind a
// reverse proxy every client has the proxy's address, and one person mistyping a token ten
// times must not lock out the operations centre. Failures are throttled per client address
// (QINGYUN_TRUST_PROXY decides whether that is X-Forwarded-For's) and per presented token (its
// hash: the same wrong or revoked token from many addresses is throttled too). Looking a token
// up costs one SHA-256; tokens are 256 random bits, so a blocked client that keeps guessing
// learns nothing it could not learn without the limiter.
import { hashToken } from '../../registry/tokens.ts'
import type { FailureLimiter } from './limiter.ts'
import type { Authenticator, Operator } from './types.ts'

export type AuthOutcome =
  | { readonly ok: true; readonly operator: Operator }
  | { readonly ok: false; readonly blocked: true; readonly retryAfterS: number }
  | { readonly ok: false; readonly blocked: false }

export interface AuthGuard {
  /** `token` undefined: none presented; '' a malformed one. Counts a failure when it fails. */
  check(address: string, token: string | undefined): AuthOutcome
}

const keysOf = (address: string, token: string | undefined): string[] =>
  token ? [`addr ${address}`, `token ${hashToken(token).slice(7, 39)}`] : [`addr ${address}`]

export function createAuthGuard(deps: {
  readonly authenticator: Authenticator
  readonly limiter: FailureLimiter
}): AuthGuard {
  const { authenticator, limiter } = deps
  return {
    check(address, token) {
      const operator = token ? authenticator.verify(token) : undefined
      if (operator) return { ok: true, operator }
      const keys = keysOf(address, token)
      for (const k of keys) {
        const c = limiter.check(k)
        if (c.blocked) return { ok: false, blocked: true, retryAfterS: c.retryAfterS }
      }
      for (const k of keys) limiter.fail(k)
      return { ok: false, blocked: false }
    }
  }
}
