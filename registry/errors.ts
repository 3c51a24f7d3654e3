// Error catalog of the registry. Codes are stable; messages are for people.

/** The registry file's content is invalid; `problems` lists every problem found (up to 50). */
export class RegistryError extends Error {
  readonly code = 'REGISTRY_E_INVALID'
  readonly problems: string[]

  constructor(problems: string[], options?: ErrorOptions) {
    super(problems.length === 1 ? problems[0] : `invalid registry (${problems.length} problems):\n  ${problems.join('\n  ')}`, options)
    this.name = 'RegistryError'
    this.problems = problems
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

/** The credentials file is unreadable or not a `{ deviceId: token }` object. */
export class CredentialsError extends Error {
  readonly code = 'REGISTRY_E_CREDENTIALS'

  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CredentialsError'
  }
}
