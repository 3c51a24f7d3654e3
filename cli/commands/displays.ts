// `qingyun displays ...`: credentials for wall displays (大屏). A display is a viewer account
// flagged `display` in the operator accounts file (contracts/users.ts): it can only read. The
// token is printed once, alone on the last line of stdout (`| tail -n1`), with the address to
// open on the screen on stderr; only its SHA-256 is stored. A running dashboard-api picks up
// a revocation by itself and closes the display's websocket.
// Exit codes: 0 done, 1 the accounts file could not be read or written, 2 bad arguments.
import { UsersError, addUser, readUsers, revokeUser, writeUsers } from '../../dashboard-api/auth/usersFile.ts'
import { oneId, parse, reportUsage, UsageError } from '../args.ts'

export interface DisplaysCommandContext {
  usersPath: string
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  /** For createdAt; defaults to Date.now. */
  now?: () => number
}

const USAGE = `usage:
  qingyun displays add NAME      a wall display's viewer token, printed once as the last line of stdout
  qingyun displays revoke NAME   the display is signed out within seconds (a running server reloads)
  qingyun displays list`

const line = (stream: NodeJS.WritableStream, text: string): void => void stream.write(`${text}\n`)

/** A UsersError the caller caused (a taken or unknown name) is a usage error: exit 2. */
function asUsage(cmd: string, err: unknown, code: UsersError['code'], where = ''): never {
  if (err instanceof UsersError && err.code === code) throw new UsageError(`${cmd}: ${err.message}${where}`)
  throw err
}

async function add(ctx: DisplaysCommandContext, args: string[]): Promise<void> {
  const cmd = 'displays add'
  const name = oneId(cmd, parse(cmd, args).positionals, 'NAME')
  const { file } = await readUsers(ctx.usersPath)
  let added
  try {
    added = addUser(file, name, 'viewer', (ctx.now ?? Date.now)(), { display: true })
  } catch (err) {
    asUsage(cmd, err, 'USERS_E_EXISTS')
  }
  await writeUsers(ctx.usersPath, added.file)
  line(
    ctx.stderr,
    `added display ${JSON.stringify(name)} (viewer); open <dashboard>/#/wall?token=<token> on the screen once. ` +
      'The token follows, shown only this once: only its hash is stored'
  )
  line(ctx.stdout, added.token)
}

async function revoke(ctx: DisplaysCommandContext, args: string[]): Promise<void> {
  const cmd = 'displays revoke'
  const name = oneId(cmd, parse(cmd, args).positionals, 'NAME')
  const { file } = await readUsers(ctx.usersPath)
  let next
  try {
    next = revokeUser(file, name, { display: true })
  } catch (err) {
    asUsage(cmd, err, 'USERS_E_UNKNOWN', ` in ${ctx.usersPath}`)
  }
  await writeUsers(ctx.usersPath, next)
  line(ctx.stderr, `revoked display ${JSON.stringify(name)}: its token no longer works`)
}

async function list(ctx: DisplaysCommandContext, args: string[]): Promise<void> {
  const { positionals } = parse('displays list', args)
  if (positionals.length > 0)
    throw new UsageError(`displays list: unexpected argument ${JSON.stringify(positionals[0])}`)
  const { file } = await readUsers(ctx.usersPath)
  const rows = [
    ['NAME', 'ENABLED', 'CREATED'],
    ...file.users.filter((u) => u.display).map((u) => [u.name, u.enabled ? 'yes' : 'no', u.createdAt])
  ]
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  line(
    ctx.stdout,
    rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n')
  )
}

export async function displaysCommand(args: string[], ctx: DisplaysCommandContext): Promise<number> {
  const [sub, ...rest] = args
  try {
    if (sub === 'add') await add(ctx, rest)
    else if (sub === 'revoke') await revoke(ctx, rest)
    else if (sub === 'list') await list(ctx, rest)
    else
      throw new UsageError(
        sub === undefined ? 'displays: a subcommand is required' : `displays: unknown subcommand ${JSON.stringify(sub)}`
      )
    return 0
  } catch (err) {
    if (err instanceof UsageError) return reportUsage(ctx.stderr, err, USAGE)
    line(ctx.stderr, (err as Error).message)
    return 1
  }
}
