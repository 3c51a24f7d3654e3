// Reading and writing the operator accounts file. Validation happens here, where the bytes
// enter (docs/conventions.md, rule 2); the store and the CLI work on a typed UsersFile.
import { mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { UsersFile } from '../../contracts/users.ts'
import type { User, UserRole } from '../../contracts/users.ts'
import { writeFileAtomic } from '../../lib/atomic.ts'
import { type LockOptions, lockPathOf, withLock } from '../../registry/lock.ts'
import { OPERATOR_TOKEN_PREFIX, generateToken, hashToken } from '../../registry/tokens.ts'

export type UsersErrorCode =
  | 'USERS_E_INVALID'
  | 'USERS_E_IO'
  | 'USERS_E_EXISTS'
  | 'USERS_E_UNKNOWN'
  /** The change would leave no enabled admin (nobody could manage accounts from the API). */
  | 'USERS_E_LAST_ADMIN'

/** Error catalog of the accounts file; codes are stable, messages are for people. */
export class UsersError extends Error {
  constructor(
    readonly code: UsersErrorCode,
    message: string,
    options?: ErrorOptions
  ) {
    super(message, options)
    this.name = 'UsersError'
  }
}

export const EMPTY_USERS: UsersFile = { version: 1, users: [] }

export function parseUsers(text: string, source: string): UsersFile {
  let raw: unknown
  try {
    raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
  } catch (err) {
    throw new UsersError('USERS_E_INVALID', `${source}: not valid JSON: ${(err as Error).message}`, { cause: err })
  }
  const parsed = UsersFile.safeParse(raw)
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${source}: ${i.path.map(String).join('.') || '(file)'}: ${i.message}`
    )
    throw new UsersError('USERS_E_INVALID', problems.join('\n'))
  }
  return parsed.data
}

/** The accounts on disk; a missing file means no accounts yet (nobody can log in). */
export async function readUsers(path: string): Promise<{ file: UsersFile; text: string | null }> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { file: EMPTY_USERS, text: null }
    throw new UsersError('USERS_E_IO', `${path}: cannot read the operator accounts: ${(err as Error).message}`, {
      cause: err
    })
  }
  return { file: parseUsers(text, path), text }
}

export function formatUsers(file: UsersFile): string {
  return `${JSON.stringify(file, null, 2)}\n`
}

/** Validates, then replaces the file atomically with mode 0600 (it decides who may log in). */
export async function writeUsers(path: string, file: UsersFile): Promise<string> {
  const parsed = UsersFile.safeParse(file)
  if (!parsed.success)
    throw new UsersError(
      'USERS_E_INVALID',
      `${path}: refusing to write invalid accounts: ${parsed.error.issues[0]?.message}`
    )
  const text = formatUsers(parsed.data)
  try {
    await mkdir(dirname(path), { recursive: true })
    await writeFileAtomic(path, text, 0o600)
  } catch (err) {
    throw new UsersError('USERS_E_IO', `${path}: cannot write the operator accounts: ${(err as Error).message}`, {
      cause: err
    })
  }
  return text
}

export interface AddOptions {
  /** A wall display's credential: a viewer, flagged so it is listed and revoked as a display. */
  readonly display?: boolean
}

/**
 * A read-modify-write of the accounts file under a cross-process lock beside it
 * (`users.json.lock`, the registry's lock protocol: registry/lock.ts), so the admin API of a
 * running node and `qingyun users` never save a file that lacks the other's change. `fn` throws
 * to change nothing. Resolves to the file written, its text, and what `fn` returned.
 */
export async function editUsers<T>(
  path: string,
  fn: (current: UsersFile) => { next: UsersFile; result: T },
  lock?: LockOptions
): Promise<{ file: UsersFile; text: string; result: T }> {
  try {
    await mkdir(dirname(path), { recursive: true })
  } catch (err) {
    throw new UsersError('USERS_E_IO', `${path}: cannot create its directory: ${(err as Error).message}`, {
      cause: err
    })
  }
  return withLock(
    lockPathOf(path),
    async () => {
      const { file: current } = await readUsers(path)
      const { next, result } = fn(current)
      const text = await writeUsers(path, next)
      return { file: next, text, result }
    },
    lock
  )
}

/**
 * A new account (or a revoked one re-issued) with a fresh token. Pure: returns the new file
 * and the token, which exists nowhere else: only its hash is in the file.
 */
export function addUser(
  file: UsersFile,
  name: string,
  role: UserRole,
  now: number,
  opts: AddOptions = {}
): { file: UsersFile; token: string; user: User } {
  const existing = file.users.find((u) => u.name === name)
  const what = existing?.display ? 'display' : 'user'
  if (existing?.enabled) {
    throw new UsersError(
      'USERS_E_EXISTS',
      `${what} ${JSON.stringify(name)} already exists; revoke it first to issue a new token`
    )
  }
  // A revoked account is re-issued only as what it was: a person's name never becomes a screen's.
  if (existing && (existing.display === true) !== (opts.display === true)) {
    throw new UsersError(
      'USERS_E_EXISTS',
      `${JSON.stringify(name)} is the name of a revoked ${existing.display ? 'display' : 'operator account'}; ` +
        'choose another'
    )
  }
  const token = generateToken(OPERATOR_TOKEN_PREFIX)
  const user: User = {
    name,
    role: opts.display ? 'viewer' : role,
    tokenHash: hashToken(token),
    enabled: true,
    createdAt: new Date(now).toISOString(),
    ...(opts.display ? { display: true as const } : {})
  }
  const users = existing ? file.users.map((u) => (u.name === name ? user : u)) : [...file.users, user]
  return { file: { ...file, users }, token, user }
}

/** Disables the account; its token stops working as soon as a running server reloads. */
export function revokeUser(file: UsersFile, name: string, opts: { display?: boolean } = {}): UsersFile {
  // Revoking a display never touches a person's account of the same name, and vice versa.
  const ofKind = (u: User): boolean => opts.display === undefined || (u.display === true) === opts.display
  if (!file.users.some((u) => u.name === name && ofKind(u)))
    throw new UsersError('USERS_E_UNKNOWN', `no ${opts.display ? 'display' : 'user'} ${JSON.stringify(name)}`)
  return { ...file, users: file.users.map((u) => (u.name === name ? { ...u, enabled: false } : u)) }
}
