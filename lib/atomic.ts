import { randomBytes } from 'node:crypto'
import { open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/**
 * Replaces `path` so that readers see either the old or the new content, never a torn file,
 * and the new content survives a crash once this resolves: write a temporary file in the same
 * directory (rename is atomic only within one file system), fsync it, rename it over the
 * target, then fsync the directory so the rename itself is durable.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const dir = dirname(path)
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  const fh = await open(tmp, 'wx', mode)
  try {
    await fh.writeFile(data)
    // open()'s mode is filtered through the umask; chmod makes the mode exactly what was asked.
    await fh.chmod(mode)
    await fh.sync()
  } catch (err) {
    await fh.close().catch(() => undefined)
    await unlink(tmp).catch(() => undefined)
    throw err
  }
  await fh.close()
  try {
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => undefined)
    throw err
  }
  await syncDir(dir)
}

async function syncDir(dir: string): Promise<void> {
  let dh
  try {
    dh = await open(dir, 'r')
    await dh.sync()
  } catch {
    // Some platforms (Windows) and file systems cannot fsync a directory; the rename is still atomic.
  } finally {
    await dh?.close().catch(() => undefined)
  }
}
