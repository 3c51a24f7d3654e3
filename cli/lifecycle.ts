// The process around `qingyun start`: one node per data directory, ports checked before anything
// starts, a parent watch for launchers that do not pass signals on, and the last-resort handlers
// for errors nothing else caught. See README "Running in production" for the exit codes.
import { readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import type { Logger } from 'pino'
import { acquireLockFile, asIdentity, identityOf, LockHeldError, type HeldLock } from '../lib/procfile.ts'

export const NODE_LOCK_FILE = 'qingyun.lock'

/** Exit codes of `qingyun start`. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

export interface NodeLock extends HeldLock {
  /** For process 'exit' handlers, which cannot wait. */
  releaseSync(): void
}

/**
 * Only one `qingyun start` per data directory: two would run two influxd on one WAL and write
 * the registry and users files from two processes. A lock whose holder is dead is stale
 * (kill -9, power loss) and is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<NodeLock | { held: string }> {
  const file = path.join(dataDir, NODE_LOCK_FILE)
  const me = { ...identityOf(process.pid), command: 'qingyun start', since: new Date().toISOString() }
  let lock: HeldLock
  try {
    lock = await acquireLockFile(file, me)
  } catch (err) {
    if (!(err instanceof LockHeldError)) throw err
    const h = err.holder
    return {
      held:
        `another qingyun start (pid ${String(h.pid)}, running since ${String(h.since)}) is using the data ` +
        `directory ${dataDir}; stop it first, or set QINGYUN_DATA_DIR to another directory (lock: ${file})`
    }
  }
  return {
    ...lock,
    releaseSync: () => {
      try {
        const cur = asIdentity(JSON.parse(readFileSync(file, 'utf8')))
        if (cur?.pid === me.pid && cur.startTime === me.startTime) rmSync(file, { force: true })
      } catch {
        // gone already
      }
    }
  }
}

/**
 * The configured fixed ports, each bound and released before anything is started: a port that
 * is taken stops the start with a message naming its variable, before influxd is spawned. A
 * port taken in the short moment after this check fails the listen itself (portInUseMessage).
 */
export async function checkPorts(
  host: string,
  ports: ReadonlyArray<readonly [variable: string, port: number]>
): Promise<string | undefined> {
  for (const [variable, port] of ports) {
    if (port === 0) continue
    const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const srv = createServer()
      srv.once('error', (e) => resolve(e as NodeJS.ErrnoException))
      srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(undefined)))
    })
    if (err !== undefined) return portMessage(variable, port, host, err.code)
  }
  return undefined
}

function portMessage(variable: string, port: number, host: string, code: string | undefined): string {
  const why =
    code === 'EADDRINUSE'
      ? 'is already in use by another process'
      : code === 'EACCES'
        ? 'needs privileges this process does not have'
        : code === 'EADDRNOTAVAIL'
          ? 'is on an address this machine does not have'
          : `cannot be listened on (${code ?? 'unknown error'})`
  return `${variable}=${port}: port ${port} on ${host} ${why}; free it or set ${variable} to another port`
}

/** For a listen error thrown while starting: the message naming its variable, when it is one. */
export function portInUseMessage(
  err: unknown,
  host: string,
  ports: ReadonlyArray<readonly [string, number]>
): string | undefined {
  const e = err as NodeJS.ErrnoException & { port?: number }
  if (e?.syscall !== 'listen' || typeof e.port !== 'number') return undefined
  const hit = ports.find(([, p]) => p === e.port)
  return hit ? portMessage(hit[0], hit[1], host, e.code) : undefined
}

/**
 * npm and npx run a package's command through `sh -c`; on SIGTERM, npm forwards the signal to
 * that shell, which dies of it without passing it on, and the node is left running as an orphan.
 * Under npm (npm_command set) the node therefore treats the end of its parent as a SIGTERM.
 */
export function watchParent(
  env: Readonly<Record<string, string | undefined>>,
  onGone: () => void,
  everyMs = 500
): () => void {
  if (env.npm_command === undefined) return () => {}
  const parent = process.ppid
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer)
      onGone()
    }
  }, everyMs)
  timer.unref()
  return () => clearInterval(timer)
}

/**
 * Last-resort handlers. An uncaught exception leaves the process in an unknown state: log it
 * with its stack, stop cleanly (flush the writer, stop influxd) and exit 1 so a supervisor
 * restarts the node. An unhandled rejection is one failed operation: logged, counted, the node
 * keeps serving. Returns a function that removes the handlers.
 */
export function installGuards(log: Logger, onFatal: (err: unknown) => void): { rejections(): number; remove(): void } {
  let rejections = 0
  const onException = (err: Error, origin: string): void => {
    log.fatal({ err, origin }, 'uncaught exception; stopping the node')
    onFatal(err)
  }
  const onRejection = (reason: unknown): void => {
    rejections++
    log.error({ err: reason, unhandledRejections: rejections }, 'unhandled promise rejection; the node keeps serving')
  }
  process.on('uncaughtException', onException)
  process.on('unhandledRejection', onRejection)
  return {
    rejections: () => rejections,
    remove: () => {
      process.removeListener('uncaughtException', onException)
      process.removeListener('unhandledRejection', onRejection)
    }
  }
}
