// Changes of operator accounts for the admin API: pure (file → the next file, or a UsersError),
// run by the user store's edit on the file as it is now. No change may leave the accounts
// without an enabled admin: nobody could manage accounts from the API any more, and the way
// back would be a shell on the server.
import type { User, UserRole, UsersFile } from '../../contracts/users.ts'
import { OPERATOR_TOKEN_PREFIX, generateToken, hashToken } from '../../registry/tokens.ts'
import { UsersError } from './usersFile.ts'

export interface AccountChange {
  readonly role?: UserRole
  readonly enabled?: boolean
}

function find(file: UsersFile, name: string): User {
  const user = file.users.find((u) => u.name === name)
  if (!user) throw new UsersError('USERS_E_UNKNOWN', `no user ${JSON.stringify(name)}`)
  return user
}

function replace(file: UsersFile, user: User): UsersFile {
  return { ...file, users: file.users.map((u) => (u.name === user.name ? user : u)) }
}

const enabledAdmins = (file: UsersFile): number => file.users.filter((u) => u.enabled && u.role === 'admin').length

/** The role and/or enabled flag changed; refused when it would leave no enabled admin. */
export function changeAccount(file: UsersFile, name: string, change: AccountChange): { file: UsersFile; user: User } {
  const current = find(file, name)
  const user: User = {
    ...current,
    ...(change.role !== undefined ? { role: change.role } : {}),
    ...(change.enabled !== undefined ? { enabled: change.enabled } : {})
  }
  const next = replace(file, user)
  if (enabledAdmins(file) > 0 && enabledAdmins(next) === 0) {
    const how = !user.enabled && current.enabled ? 'disabling' : 'demoting'
    throw new UsersError(
      'USERS_E_LAST_ADMIN',
      `${how} ${JSON.stringify(name)} would leave no enabled admin; make another account admin first`
    )
  }
  return { file: next, user }
}

/** A new token for the account (the old one stops working), which is enabled; the token exists only here. */
export function rotateAccount(file: UsersFile, name: string): { file: UsersFile; user: User; token: string } {
  const token = generateToken(OPERATOR_TOKEN_PREFIX)
  const user: User = { ...find(file, name), tokenHash: hashToken(token), enabled: true }
  return { file: replace(file, user), user, token }
}
