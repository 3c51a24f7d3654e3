// Command-line arguments for the `qingyun` subcommands: node:util parseArgs in strict mode, where
// every problem (an unknown option, a missing value, a number out of range) becomes a UsageError
// whose message names the command and the argument; the command prints it with its usage and
// exits 2.
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { ID_PATTERN } from '../contracts/registry.ts'

/** Bad command-line input; the message names the argument. Exit code 2. */
export class UsageError extends Error {
  readonly code = 'CLI_E_USAGE'

  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export const EXIT_USAGE = 2

export type StringOptions = Record<string, { readonly type: 'string' }>

export interface Parsed<T extends StringOptions> {
  readonly values: { [K in keyof T]?: string }
  readonly positionals: string[]
}

/**
 * Parses `args` against string `options`. An unknown option, an option without its value, or (with
 * `positionals: false`) any positional argument throws a UsageError prefixed with `command`.
 */
export function parse<T extends StringOptions>(
  command: string,
  args: string[],
  options: T = {} as T,
  opts: { readonly positionals?: boolean } = {}
): Parsed<T> {
  try {
    const allowPositionals = opts.positionals ?? true
    const { values, positionals } = parseArgs({ args, options, allowPositionals, strict: true })
    return { values: values as { [K in keyof T]?: string }, positionals }
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message}`)
  }
}

/** `--name`'s value as a number checked by `schema`, or `dflt` when the option was not given. */
export function num(
  command: string,
  name: string,
  v: string | undefined,
  dflt: number,
  schema: z.ZodType<number> = z.coerce.number().positive()
): number {
  if (v === undefined) return dflt
  const r = schema.safeParse(v)
  if (!r.success) {
    throw new UsageError(`${command}: --${name} ${JSON.stringify(v)}: ${r.error.issues[0]?.message ?? 'invalid'}`)
  }
  return r.data
}

/** The one positional argument, an ID (contracts' ID_PATTERN); `what` is how the usage names it. */
export function oneId(command: string, positionals: string[], what = 'ID'): string {
  if (positionals.length !== 1) {
    throw new UsageError(`${command}: expected exactly one ${what}, got ${positionals.length}`)
  }
  const id = positionals[0]!
  if (!ID_PATTERN.test(id)) {
    const rule = 'use 1-64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit'
    throw new UsageError(`${command}: ${what} ${JSON.stringify(id)} is invalid: ${rule}`)
  }
  return id
}

/** A required option's value; `flag` is how the usage spells it, e.g. `--out FILE`. */
export function required(command: string, flag: string, v: string | undefined): string {
  if (v === undefined || v === '') throw new UsageError(`${command}: ${flag} is required`)
  return v
}

/** Reports a UsageError as the commands do: its message, then the usage; the exit code. */
export function reportUsage(stderr: NodeJS.WritableStream, err: UsageError, usage: string): number {
  stderr.write(`${err.message}\n${usage}\n`)
  return EXIT_USAGE
}
