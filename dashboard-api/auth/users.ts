// The operator accounts of a running dashboard-api: bearer-token verification for REST and the
// websocket, plus add/revoke/list, reloaded when `qingyun users` (another process) changes the
// file.
//
// Tokens are 256 random bits, so a plain SHA-256 is a sufficient verifier (registry/tokens.ts
// explains why a slow password hash would only cost CPU). Verification hashes the presented
// token once and compares it with every enabled account's hash in constant time, without
// stopping at a match, so the time taken says nothing about which or how many accounts exist.
//
// Change detection follows registry/store.ts: fs.watch on the directory (the file is replaced
// by rename) plus an mtime/size/inode poll for file systems where watch misses changes.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Logger } from 'pino'
import { watchFile } from '../../lib/watchFile.ts'
import { OPERATOR_TOKEN_PATTERN } from '../../contracts/users.ts'
import type { UserRole, UsersFile } from '../../contracts/users.ts'
import type { Authenticator, Operator, Role } from './types.ts'
import { UsersError, addUser, editUsers, readUsers, revokeUser, type AddOptions } from './usersFile.ts'

export { UsersError } from './usersFile.ts'

// contracts/users.ts and auth/types.ts name the same roles; this fails to compile if they drift.
const sameRoles: [Role, UserRole] extends [UserRole, Role] ? true : never = true
void sameRoles

/** An account as listed: never its hash. */
export interface UserSummary {
  readonly name: string
  readonly role: Role
  readonly enabled: boolean
  readonly createdAt: string
  /** A wall display's credential (always a viewer); absent for a person's account. */
  readonly display?: true
}

export interface UserStore extends Authenticator {
  /** Creates an account (or re-issues a revoked one); resolves to its token, the only copy. */
  add(name: string, role: Role, opts?: AddOptions): Promise<string>
  /** Disables an account (`display`: only a display's, or only a person's); its token stops working at once. */
  revoke(name: string, opts?: { display?: boolean }): Promise<void>
  list(): UserSummary[]
  /**
   * A read-modify-write of the file as it is now (a change another process made is kept), one at
   * a time in this process; `fn` throws to change nothing. Resolves to what `fn` returned.
   */
  edit<T>(fn: (current: UsersFile) => { next: UsersFile; result: T }): Promise<T>
  /** Re-reads the file now; resolves true when a changed, valid file was applied. */
  reload(): Promise<boolean>
  close(): Promise<void>
}

export interface UserStoreOptions {
  path: string
  log: Logger
  now?: () => number
  /** Fallback poll interval for file systems where fs.watch misses changes. */
  pollMs?: number
  debounceMs?: number
  /** Watch and poll the file (default true; the CLI, a one-shot process, turns it off). */
  watch?: boolean
}

interface Entry {
  readonly operator: Operator
  readonly digest: Buffer
}

function index(file: UsersFile): Entry[] {
  return file.users
    .filter((u) => u.enabled)
    .map((u) => ({
      operator: { name: u.name, role: u.role },
      digest: Buffer.from(u.tokenHash.slice('sha256:'.length), 'hex')
    }))
}

/** Loads the accounts (a missing file: none); an invalid file at start throws a UsersError. */
export async function createUserStore(options: UserStoreOptions): Promise<UserStore> {
  const { path, now = Date.now, pollMs = 1000, debounceMs = 50, watch: live = true } = options
  const log = options.log.child({ component: 'users', path })

  const initial = await readUsers(path)
  let file = initial.file
  let entries = index(file)
  let appliedText = initial.text
  let seenText: string | null | undefined = initial.text
  log.info(
    { users: file.users.length, enabled: entries.length },
    initial.text === null
      ? 'no operator accounts file; nobody can use the API until `qingyun users add`'
      : 'operator accounts loaded'
  )

  let closed = false
  // Reloads and writes run one at a time, so a write never interleaves with a re-read.
  let chain: Promise<unknown> = Promise.resolve()
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn)
    chain = run.catch(() => undefined)
    return run
  }

  const listeners = new Set<() => void>()
  function apply(next: UsersFile, text: string | null): void {
    file = next
    entries = index(next)
    appliedText = text
    seenText = text
    for (const l of listeners) {
      try {
        l()
      } catch (err) {
        log.error({ err }, 'operator accounts listener failed')
      }
    }
  }

  async function reloadNow(): Promise<boolean> {
    if (closed) return false
    let loaded: Awaited<ReturnType<typeof readUsers>>
    try {
      await files?.seen()
      loaded = await readUsers(path)
    } catch (err) {
      const text = err instanceof UsersError ? err.message : String(err)
      if (seenText !== text)
        log.error(
          { code: (err as UsersError).code, problems: text },
          'operator accounts change rejected; keeping the previous accounts'
        )
      seenText = text
      return false
    }
    if (loaded.text === appliedText) return false
    apply(loaded.file, loaded.text)
    log.info({ users: file.users.length, enabled: entries.length }, 'operator accounts reloaded')
    return true
  }

  // A one-shot process (the CLI) does not watch.
  const files = live
    ? await watchFile({ path, log, pollMs, debounceMs, useWatch: true, onChange: () => void serial(reloadNow) })
    : undefined

  /** Read-modify-write on the current file under its lock, so a change made by another process is kept. */
  const change = <T>(fn: (current: UsersFile) => { next: UsersFile; result: T }): Promise<T> =>
    serial(async () => {
      const { file: next, text, result } = await editUsers(path, fn)
      await files?.seen()
      apply(next, text)
      return result
    })

  return {
    verify(token: string): Operator | undefined {
      if (typeof token !== 'string' || !OPERATOR_TOKEN_PATTERN.test(token)) return undefined
      const presented = createHash('sha256').update(token).digest()
      let found: Operator | undefined
      for (const e of entries) {
        // Both are 32-byte digests: timingSafeEqual never throws, and every entry is compared.
        if (timingSafeEqual(e.digest, presented) && found === undefined) found = e.operator
      }
      return found
    },
    async add(name, role, opts = {}) {
      const token = await change((current) => {
        const { file: next, token } = addUser(current, name, role, now(), opts)
        return { next, result: token }
      })
      log.info({ user: name, role, display: opts.display === true }, 'operator account added')
      return token
    },
    async revoke(name, opts = {}) {
      await change((current) => ({ next: revokeUser(current, name, opts), result: undefined }))
      log.info({ user: name, display: opts.display === true }, 'operator account revoked')
    },
    edit: change,
    list: () =>
      file.users.map((u) => ({
        name: u.name,
        role: u.role,
        enabled: u.enabled,
        createdAt: u.createdAt,
        ...(u.display ? { display: true as const } : {})
      })),
    reload: () => serial(reloadNow),
    onChange(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    async close() {
      listeners.clear()
      closed = true
      files?.close()
      await chain
    }
  }
}
