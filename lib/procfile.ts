// Process identity and lock files in the data dir. A pid alone is not an identity: the kernel
// recycles pids, so a stale file could name an unrelated process. A pid plus its start time
// (field 22 of /proc/PID/stat, clock ticks since boot) names one process for the life of the boot.
import { readFileSync } from 'node:fs'
import { open, readFile, rm } from 'node:fs/promises'

export interface ProcessIdentity {
  readonly pid: number
  /** /proc/PID/stat field 22; undefined where /proc is not available. */
  readonly startTime: string | undefined
}

/** The start time of a live process, or undefined when it is gone (or there is no /proc). */
export function processStartTime(pid: number): string | undefined {
  try {
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // fields[0] is field 3 (state); field 22 is fields[19]. A zombie has exited already.
    return fields[0] === 'Z' ? undefined : fields[19]
  } catch {
    return undefined
  }
}

export function identityOf(pid: number): ProcessIdentity {
  return { pid, startTime: processStartTime(pid) }
}

/** Whether the process the identity names is still running (same pid AND same start time). */
export function isRunning(id: ProcessIdentity): boolean {
  if (!Number.isInteger(id.pid) || id.pid <= 0) return false
  const now = processStartTime(id.pid)
  if (now !== undefined) return id.startTime === undefined || now === id.startTime
  if (id.startTime !== undefined) return false
  // No /proc (not Linux): signal 0 says whether the pid exists, not whose it is.
  try {
    process.kill(id.pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** A JSON file's content, or undefined when it is missing or unreadable as JSON. */
export async function readJsonFile(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'))
  } catch {
    return undefined
  }
}

export function asIdentity(v: unknown): ProcessIdentity | undefined {
  if (typeof v !== 'object' || v === null) return undefined
  const { pid, startTime } = v as { pid?: unknown; startTime?: unknown }
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined
  return { pid, startTime: typeof startTime === 'string' ? startTime : undefined }
}

export class LockHeldError extends Error {
  readonly code = 'PROC_E_LOCKED'
  constructor(
    message: string,
    readonly holder: Record<string, unknown>
  ) {
    super(message)
    this.name = 'LockHeldError'
  }
}

export interface HeldLock {
  readonly path: string
  release(): Promise<void>
}

/**
 * Create `path` exclusively with `content` (which must carry this process's identity). A file
 * left by a process that is no longer running is stale and replaced; one whose holder runs
 * throws LockHeldError. Not a kernel lock: two processes recovering the same stale file within the
 * same few microseconds (between one's read and its remove) could both succeed; a start that
 * finds a live holder, the case this guards, is always refused.
 */
export async function acquireLockFile(
  path: string,
  content: ProcessIdentity & Record<string, unknown>
): Promise<HeldLock> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600)
      try {
        await fh.writeFile(`${JSON.stringify(content)}\n`)
        await fh.sync()
      } finally {
        await fh.close()
      }
      let released = false
      return {
        path,
        release: async () => {
          if (released) return
          released = true
          // Only remove the file if it is still ours.
          const now = asIdentity(await readJsonFile(path))
          if (now?.pid === content.pid && now.startTime === content.startTime) await rm(path, { force: true })
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const raw = await readJsonFile(path)
    const holder = asIdentity(raw)
    if (holder !== undefined && isRunning(holder)) {
      throw new LockHeldError(`${path} is held by running process ${holder.pid}`, raw as Record<string, unknown>)
    }
    // A holder that died without releasing (kill -9, power loss): the file is stale.
    await rm(path, { force: true })
  }
  throw new LockHeldError(`${path}: could not be created after removing a stale copy twice`, {})
}
