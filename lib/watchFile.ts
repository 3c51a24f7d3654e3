import { type FSWatcher, type Stats, watch } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import type { WarnLog } from './log.ts'

export interface FileWatch {
  /** Note the file as it is now (after reading or writing it ourselves), so the poll does not fire for it. */
  seen(): Promise<void>
  close(): void
}

const statKey = (s: Stats): string => `${s.ino}:${s.size}:${s.mtimeMs}`

/**
 * Calls `onChange`, debounced, when the file may have changed: a watch on its directory
 * (editors and atomic writes replace the file, so watching the file itself would lose track)
 * and a stat poll as the fallback, for file systems where fs.watch misses changes and for a
 * file that does not exist yet. Used by the registry and the operator accounts.
 */
export async function watchFile(opts: {
  path: string
  log: WarnLog
  pollMs: number
  debounceMs: number
  useWatch: boolean
  onChange: () => void
}): Promise<FileWatch> {
  const { path, log } = opts
  const current = (): Promise<string> => stat(path).then(statKey, () => 'missing')
  let last = await current()
  let closed = false
  let debounce: NodeJS.Timeout | undefined
  const schedule = (): void => {
    if (closed) return
    clearTimeout(debounce)
    debounce = setTimeout(opts.onChange, opts.debounceMs)
    debounce.unref()
  }

  let watcher: FSWatcher | undefined
  if (opts.useWatch) {
    const name = basename(path)
    try {
      watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) schedule()
      })
      watcher.on('error', (err) => {
        log.warn({ err }, 'directory watch failed; relying on polling')
        watcher?.close()
        watcher = undefined
      })
    } catch (err) {
      // E.g. the directory does not exist yet: the poll notices when the file appears.
      log.warn({ err }, 'directory watch unavailable; relying on polling')
    }
  }
  const poll = setInterval(() => {
    void current().then((key) => {
      if (key !== last) {
        last = key
        schedule()
      }
    })
  }, opts.pollMs)
  poll.unref()

  return {
    async seen() {
      last = await current()
    },
    close() {
      closed = true
      clearTimeout(debounce)
      clearInterval(poll)
      watcher?.close()
    }
  }
}
