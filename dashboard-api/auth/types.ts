/** Operator roles, least to most privileged (docs/architecture.md, decision 7). */
export const ROLES = ['viewer', 'operator', 'admin'] as const
export type Role = (typeof ROLES)[number]

/** Whether `role` may do what `needed` may. */
export const allows = (role: Role, needed: Role): boolean => ROLES.indexOf(role) >= ROLES.indexOf(needed)

export interface Operator {
  readonly name: string
  readonly role: Role
}

/** Bearer-token check, shared by REST and the websocket. */
export interface Authenticator {
  /** The operator a token belongs to, or undefined (unknown, disabled, malformed). */
  verify(token: string): Operator | undefined
  /** Calls `listener` after the accounts changed (an account revoked, a role changed); returns
   *  the unsubscribe. Optional: an authenticator whose accounts never change has none. */
  onChange?(listener: () => void): () => void
}
