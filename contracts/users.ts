// Operator accounts of dashboard-api (QINGYUN_USERS, default data/users.json): bearer tokens
// with a role, stored only as SHA-256 hashes (docs/architecture.md, decision 7). Written by `qingyun users`,
// hot-reloaded by the running dashboard-api.
import { z } from 'zod'
import { Id, TokenHash } from './registry.ts'

/** Least to most privileged; the same list as ROLES in dashboard-api/auth/types.ts. */
export const UserRole = z.enum(['viewer', 'operator', 'admin'])
export type UserRole = z.infer<typeof UserRole>

/** `qyo_` + 32 random bytes in base64url (43 characters). */
export const OPERATOR_TOKEN_PATTERN = /^qyo_[A-Za-z0-9_-]{43}$/

/** A login name: the same alphabet as registry ids (safe in logs, URLs and shells). */
export const UserName = Id
export type UserName = z.infer<typeof UserName>

export const User = z.strictObject({
  name: UserName,
  role: UserRole,
  tokenHash: TokenHash,
  /** A revoked user stays listed (who acknowledged what stays explainable) but cannot log in. */
  enabled: z.boolean(),
  createdAt: z.iso.datetime({ offset: true }),
  /**
   * A wall display's credential (`qingyun displays`): always a viewer, kept by the screen for
   * months, listed and revoked apart from the people's accounts. Absent: a person's account.
   */
  display: z.literal(true).optional()
})
export type User = z.infer<typeof User>

export const UsersFile = z
  .strictObject({
    version: z.literal(1),
    users: z.array(User)
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>()
    file.users.forEach((u, i) => {
      if (seen.has(u.name))
        ctx.addIssue({
          code: 'custom',
          path: ['users', i, 'name'],
          message: `duplicate user name ${JSON.stringify(u.name)}`
        })
      seen.add(u.name)
      if (u.display && u.role !== 'viewer')
        ctx.addIssue({
          code: 'custom',
          path: ['users', i, 'role'],
          message: `display ${JSON.stringify(u.name)} must be a viewer: a wall display only reads`
        })
    })
  })
export type UsersFile = z.infer<typeof UsersFile>
