// `qingyun users ...`: operator accounts of dashboard-api (bearer tokens with a role).
// A new token is printed once, alone on the last line of stdout (so `| tail -n1` captures it);
// only its SHA-256 is stored. A running dashboard-api picks up changes by itself.
// Exit codes: 0 done, 1 the accounts file could not be read or written, 2 bad arguments.
import { UserRole } from '../../contracts/users.ts'
import { UsersError, addUser, editUsers, readUsers, revokeUser } from '../../dashboard-api/auth/usersFile.ts'
import { oneId, parse, reportUsage, UsageError } from '../args.ts'

export interface UsersCommandContext {
  usersPath: string
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  /** For createdAt; defaults to Date.now. */
  now?: () => number
}

const USAGE = `usage:
  qingyun users add NAME --role viewer|operator|admin   prints the token once, as the last line of stdout
  qingyun users revoke NAME                             the token stops working (a running server reloads)
  qingyun users list`

const ROLE_LIST = UserRole.options.join('|')

function line(stream: NodeJS.WritableStream, text: string): void {
  stream.write(`${text}\n`)
}

function oneName(command: string, positionals: string[]): string {
  return oneId(command, positionals, 'NAME')
}

async function add(ctx: UsersCommandContext, args: string[]): Promise<void> {
  const cmd = 'users add'
  const { values, positionals } = parse(cmd, args, { role: { type: 'string' } })
  const name = oneName(cmd, positionals)
  if (values.role === undefined) throw new UsageError(`${cmd}: --role is required (${ROLE_LIST})`)
  const role = UserRole.safeParse(values.role)
  if (!role.success) throw new UsageError(`${cmd}: --role ${JSON.stringify(values.role)} is not one of ${ROLE_LIST}`)
  let added
  try {
    // Under the accounts file's lock (usersFile.ts editUsers): a running node's admin API may be
    // changing it at the same moment.
    const edited = await editUsers(ctx.usersPath, (file) => {
      const r = addUser(file, name, role.data, (ctx.now ?? Date.now)())
      return { next: r.file, result: r }
    })
    added = edited.result
  } catch (err) {
    if (err instanceof UsersError && err.code === 'USERS_E_EXISTS') throw new UsageError(`${cmd}: ${err.message}`)
    throw err
  }
  line(
    ctx.stderr,
    `added ${role.data} ${JSON.stringify(name)}; the token follows, shown only this once: only its hash is stored`
  )
  line(ctx.stdout, added.token)
}

async function revoke(ctx: UsersCommandContext, args: string[]): Promise<void> {
  const cmd = 'users revoke'
  const name = oneName(cmd, parse(cmd, args).positionals)
  try {
    await editUsers(ctx.usersPath, (file) => ({ next: revokeUser(file, name), result: undefined }))
  } catch (err) {
    if (err instanceof UsersError && err.code === 'USERS_E_UNKNOWN')
      throw new UsageError(`${cmd}: ${err.message} in ${ctx.usersPath}`)
    throw err
  }
  line(ctx.stderr, `revoked ${JSON.stringify(name)}: its token no longer works`)
}

async function list(ctx: UsersCommandContext, args: string[]): Promise<void> {
  const { positionals } = parse('users list', args)
  if (positionals.length > 0) throw new UsageError(`users list: unexpected argument ${JSON.stringify(positionals[0])}`)
  const { file } = await readUsers(ctx.usersPath)
  const rows = [
    ['NAME', 'ROLE', 'ENABLED', 'CREATED'],
    ...file.users.map((u) => [u.name, u.role, u.enabled ? 'yes' : 'no', u.createdAt])
  ]
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  line(
    ctx.stdout,
    rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n')
  )
}

export async function usersCommand(args: string[], ctx: UsersCommandContext): Promise<number> {
  const [sub, ...rest] = args
  try {
    switch (sub) {
      case 'add':
        await add(ctx, rest)
        break
      case 'revoke':
        await revoke(ctx, rest)
        break
      case 'list':
        await list(ctx, rest)
        break
      default:
        throw new UsageError(
          sub === undefined ? 'users: a subcommand is required' : `users: unknown subcommand ${JSON.stringify(sub)}`
        )
    }
    return 0
  } catch (err) {
    if (err instanceof UsageError) return reportUsage(ctx.stderr, err, USAGE)
    line(ctx.stderr, (err as Error).message)
    return 1
  }
}
