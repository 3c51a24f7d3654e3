// Credentials of the embedded influxd. Its HTTP API listens on loopback, but loopback is shared
// by every local user and process; with `[http] auth-enabled = true` only holders of the
// password (a file readable by the data directory's owner alone) can read or write the data.
import { randomBytes } from 'node:crypto'
import { chmod, open, readFile } from 'node:fs/promises'
import { InfluxdStartError } from './errors.ts'

export interface InfluxdCredentials {
  readonly username: string
  readonly password: string
}

export const INFLUXD_USERNAME = 'qingyun'
/** In QINGYUN_DATA_DIR; `qingyun sim verify` reads it too. */
export const INFLUXD_CREDENTIALS_FILE = 'influxd-credentials.json'

/** Reads the credentials file, creating it (mode 0600, a random 192-bit password) the first time. */
export async function loadOrCreateCredentials(path: string): Promise<InfluxdCredentials> {
  const existing = await readCredentials(path)
  if (existing !== undefined) {
    await chmod(path, 0o600)
    return existing
  }
  const creds = { username: INFLUXD_USERNAME, password: randomBytes(24).toString('base64url') }
  try {
    const fh = await open(path, 'wx', 0o600)
    try {
      await fh.writeFile(`${JSON.stringify(creds, null, 2)}\n`)
      await fh.sync()
    } finally {
      await fh.close()
    }
    return creds
  } catch (err) {
    // Another process created it in between: use theirs.
    const theirs = (err as NodeJS.ErrnoException).code === 'EEXIST' ? await readCredentials(path) : undefined
    if (theirs === undefined) throw err
    return theirs
  }
}

/** The credentials in `path`, or undefined when the file is missing or not credentials. */
export async function readCredentials(path: string): Promise<InfluxdCredentials | undefined> {
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    if (err instanceof SyntaxError) return undefined
    throw err
  }
  const { username, password } = (raw ?? {}) as { username?: unknown; password?: unknown }
  return typeof username === 'string' && typeof password === 'string' && username !== '' && password !== ''
    ? { username, password }
    : undefined
}

const influxString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
const influxIdent = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`

/**
 * Makes `creds` the admin user. influxd 1.x accepts `CREATE USER … WITH ALL PRIVILEGES` without
 * a valid login while no admin user exists, and accepts the same statement again from that
 * admin (it is idempotent), so one request covers a first start and every later one.
 */
export async function ensureAdminUser(url: string, creds: InfluxdCredentials, credentialsPath: string): Promise<void> {
  const q =
    `CREATE USER ${influxIdent(creds.username)} WITH PASSWORD ${influxString(creds.password)} ` + 'WITH ALL PRIVILEGES'
  const basic = Buffer.from(`${creds.username}:${creds.password}`).toString('base64')
  const res = await fetch(`${url}/query`, {
    method: 'POST',
    headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ q }).toString(),
    signal: AbortSignal.timeout(10_000)
  })
  const text = await res.text()
  if (res.ok && !text.includes('"error"')) return
  const hint =
    res.status === 401
      ? `its admin user has another password than the one in ${credentialsPath} ` +
        '(restore that file, or start over with an empty influxdb/ directory)'
      : `answered ${res.status}: ${text.slice(0, 200)}`
  throw new InfluxdStartError(`the embedded influxd refused the credentials in ${credentialsPath}: ${hint}`, [])
}
