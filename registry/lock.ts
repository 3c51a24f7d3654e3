// The registry's cross-process lock: a file beside the registry (`registry.json.lock`), created
// with O_CREAT|O_EXCL so exactly one process can create it, holding who took it. Every change of
// the registry — the admin API of a running node, `qingyun devices …`, `qingyun sim provision`,
// first-start seeding — takes it around its read-modify-write, so two writers cannot each save
// a registry that lacks the other's change.
//
// A lock whose holder is gone is recovered: on the same host a holder is gone when its pid no
// longer runs, or runs a different process (the pid was reused: its start time differs); on any
// host a lock not refreshed for `staleMs` is taken to be abandoned (a holder on another host, or
// one that hung): a live holder touches its lock every staleMs/4, so a long change (provisioning
// 100,000 load devices) keeps it. Waiting is bounded by `waitMs`, then REGISTRY_E_LOCKED names
// the holder.
//
// Fairness: waiters poll, so a process that edits back to back (an admin client scripting many
// PUTs) would take the lock again before a waiting CLI ever saw it free. A waiter therefore
// touches `registry.json.lock.want` on every poll, and a newcomer that finds a fresh `want`
// steps back for a few polls first; the waiter that gets the lock removes it.
//
// Not proper-lockfile: it judges staleness by mtime alone (kept fresh by a timer in the holder),
// so a holder that crashed blocks everyone until the stale bound, and a holder whose event loop
// is busy (validating a 100,000-device provision) loses its lock; nor does it record who holds
// it, which REGISTRY_E_LOCKED should name. The whole protocol is the ~150 lines below.
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { open, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import type { WarnLog } from '../lib/log.ts'
import { type LockHolder, RegistryIoError, RegistryLockedError } from './errors.ts'

export interface LockOptions {
  /** How long to wait for a live holder before REGISTRY_E_LOCKED (default 10 s). */
  readonly waitMs?: number
  /** A lock older than this is abandoned whoever holds it (default 60 s). */
  readonly staleMs?: number
  readonly log?: WarnLog
}

export const DEFAULT_LOCK_WAIT_MS = 10_000
export const DEFAULT_LOCK_STALE_MS = 60_000

export interface HeldLock {
  readonly holder: LockHolder
  /** Throws unless the lock file is still this holder's (checked right before a write). */
  assertHeld(): Promise<void>
  release(): Promise<void>
}

export const lockPathOf = (registryPath: string): string => `${registryPath}.lock`

/** A waiter's poll interval is at most this; a newcomer steps back this long, up to YIELD_ROUNDS times. */
const MAX_POLL_MS = 25
const YIELD_MS = 40
const YIELD_ROUNDS = 5
/** A `want` file untouched for this long has no waiter behind it any more. */
const WANT_FRESH_MS = 500

async function waiterPresent(wantPath: string): Promise<boolean> {
  const st = await stat(wantPath).catch(() => undefined)
  return st !== undefined && Date.now() - st.mtimeMs < WANT_FRESH_MS
}

/** Field 22 of /proc/PID/stat: the start time in clock ticks since boot; null where there is no procfs. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 2 (comm) is in parentheses and may itself hold spaces and ')': count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[22 - 3] ?? null
  } catch {
    return null
  }
}

function isAlive(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0)
  } catch (err) {
    // EPERM: it runs, as another user.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false
  }
  const now = processStartTime(holder.pid)
  return holder.startTime === null || now === null || now === holder.startTime
}

interface Seen {
  readonly holder: LockHolder | undefined
  readonly ino: number
  readonly mtimeMs: number
}

async function inspect(lockPath: string): Promise<Seen | undefined> {
  try {
    const [st, text] = await Promise.all([stat(lockPath), readFile(lockPath, 'utf8')])
    let holder: LockHolder | undefined
    try {
      holder = JSON.parse(text) as LockHolder
    } catch {
      // Created but not yet written (or its writer died in between): only its age can tell.
    }
    return { holder, ino: st.ino, mtimeMs: st.mtimeMs }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new RegistryIoError(`${lockPath}: cannot read the registry lock: ${(err as Error).message}`, { cause: err })
  }
}

function staleReason(seen: Seen, staleMs: number, host: string): string | undefined {
  if (Date.now() - seen.mtimeMs > staleMs) return 'older than the stale bound'
  const h = seen.holder
  if (h && typeof h.pid === 'number' && h.hostname === host && !isAlive(h)) return 'its process is gone'
  return undefined
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export async function acquireLock(lockPath: string, opts: LockOptions = {}): Promise<HeldLock> {
  const { waitMs = DEFAULT_LOCK_WAIT_MS, staleMs = DEFAULT_LOCK_STALE_MS, log } = opts
  const host = hostname()
  const started = Date.now()
  const wantPath = `${lockPath}.want`
  for (let round = 0; round < YIELD_ROUNDS && (await waiterPresent(wantPath)); round++) await sleep(YIELD_MS)
  let pause = 5
  let waiting = false
  let last: Seen | undefined
  for (;;) {
    const holder: LockHolder = {
      pid: process.pid,
      startTime: processStartTime(process.pid),
      hostname: host,
      acquiredAt: new Date().toISOString(),
      nonce: randomBytes(8).toString('hex')
    }
    try {
      const fh = await open(lockPath, 'wx', 0o600)
      try {
        await fh.writeFile(JSON.stringify(holder))
      } finally {
        await fh.close()
      }
      if (waiting) await unlink(wantPath).catch(() => undefined)
      return held(lockPath, holder, staleMs, log)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        const message = `${lockPath}: cannot create the registry lock: ${(err as Error).message}`
        throw new RegistryIoError(message, { cause: err })
      }
    }
    const seen = await inspect(lockPath)
    if (seen === undefined) continue
    last = seen
    const reason = staleReason(seen, staleMs, host)
    if (reason !== undefined) {
      // Remove it only if it is still the lock judged stale: another waiter may have removed
      // it and taken a fresh one meanwhile. (A window of a few microseconds remains between
      // this stat and the unlink; assertHeld before every write catches a lock lost in it.)
      const again = await stat(lockPath).catch(() => undefined)
      if (again && again.ino === seen.ino && again.mtimeMs === seen.mtimeMs) {
        await unlink(lockPath).catch((err: NodeJS.ErrnoException) => {
          // Gone already is fine (another waiter removed it); anything else would spin here.
          if (err.code === 'ENOENT') return
          throw new RegistryIoError(`${lockPath}: cannot remove a stale registry lock: ${err.message}`, { cause: err })
        })
        log?.warn({ lockPath, holder: seen.holder, reason }, 'stale registry lock removed')
      }
      continue
    }
    const waited = Date.now() - started
    if (waited >= waitMs) {
      if (waiting) await unlink(wantPath).catch(() => undefined)
      throw new RegistryLockedError(lockPath, last.holder, waited)
    }
    waiting = true
    await writeFile(wantPath, '', { mode: 0o600 }).catch(() => undefined)
    await sleep(Math.min(pause, waitMs - waited) * (0.5 + Math.random()))
    pause = Math.min(pause * 2, MAX_POLL_MS)
  }
}

function held(lockPath: string, holder: LockHolder, staleMs: number, log: WarnLog | undefined): HeldLock {
  const mine = async (): Promise<boolean> =>
    (await inspect(lockPath).catch(() => undefined))?.holder?.nonce === holder.nonce
  let released = false
  const heartbeat = setInterval(
    () => {
      void mine()
        .then(async (ok) => {
          if (ok && !released) await utimes(lockPath, new Date(), new Date())
        })
        .catch(() => undefined)
    },
    Math.max(1, Math.floor(staleMs / 4))
  )
  heartbeat.unref()
  return {
    holder,
    async assertHeld() {
      if (!(await mine())) {
        throw new RegistryIoError(
          `${lockPath}: the registry lock was taken over (held longer than the stale bound?); nothing written`
        )
      }
    },
    async release() {
      if (released) return
      released = true
      clearInterval(heartbeat)
      if (await mine()) await unlink(lockPath).catch(() => undefined)
      else log?.warn({ lockPath, holder }, 'registry lock was taken over before release')
    }
  }
}

/** Runs `fn` holding the lock; releases it however `fn` ends. */
export async function withLock<T>(
  lockPath: string,
  fn: (lock: HeldLock) => Promise<T>,
  opts?: LockOptions
): Promise<T> {
  const lock = await acquireLock(lockPath, opts)
  try {
    return await fn(lock)
  } finally {
    await lock.release()
  }
}
