// Error catalog of the registry. Codes are stable; messages are for people.
import type { RegistryProblem } from '../contracts/registry.ts'

/** `devices[3].siteId: site "ts-zz" does not exist`, prefixed with the file when there is one. */
export function formatProblem(p: RegistryProblem, source?: string): string {
  return [source, p.path || undefined, p.message].filter((s) => s !== undefined).join(': ')
}

/**
 * A registry is invalid: the file's content, or the registry a change would produce (nothing
 * was written then). `problems` lists every problem found (up to 50) as data; `source` is the
 * file when the problems are in a file's content.
 */
export class RegistryError extends Error {
  readonly code = 'REGISTRY_E_INVALID'
  readonly problems: readonly RegistryProblem[]
  readonly source: string | undefined

  constructor(problems: readonly RegistryProblem[], options: ErrorOptions & { source?: string } = {}) {
    const lines = problems.map((p) => formatProblem(p, options.source))
    const message =
      lines.length === 1 ? lines[0] : `invalid registry (${lines.length} problems):\n  ${lines.join('\n  ')}`
    super(message, options)
    this.name = 'RegistryError'
    this.problems = problems
    this.source = options.source
  }
}

/** The registry file could not be read or written. */
export class RegistryIoError extends Error {
  readonly code = 'REGISTRY_E_IO'

  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'RegistryIoError'
  }
}

/** Who holds the registry lock, as written in the lock file. */
export interface LockHolder {
  readonly pid: number
  /** The process's start time in clock ticks since boot (/proc/PID/stat field 22); null where unknown. */
  readonly startTime: string | null
  readonly hostname: string
  /** When the lock was taken (ISO-8601). */
  readonly acquiredAt: string
  /** Random; tells this holder's lock from a later one by the same process. */
  readonly nonce: string
}

/** Another process held the registry lock for longer than the wait bound; `holder` says who. */
export class RegistryLockedError extends Error {
  readonly code = 'REGISTRY_E_LOCKED'

  constructor(
    readonly lockPath: string,
    readonly holder: LockHolder | undefined,
    waitedMs: number
  ) {
    const who = holder
      ? `pid ${holder.pid} on ${holder.hostname} since ${holder.acquiredAt}`
      : 'a process that has not written its name yet'
    super(
      `${lockPath}: the registry is locked by ${who}; gave up after ${waitedMs} ms` +
        ' (remove the lock file only if that process is gone)'
    )
    this.name = 'RegistryLockedError'
  }
}

/** The credentials file is unreadable or not a `{ deviceId: token }` object. */
export class CredentialsError extends Error {
  readonly code = 'REGISTRY_E_CREDENTIALS'

  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CredentialsError'
  }
}
