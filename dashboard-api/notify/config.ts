// Reading the notification file named by QINGYUN_NOTIFY_FILE: a bad file stops the node at start
// with a message naming the variable and each field (docs/conventions.md, rule 7), never its secrets.
import { readFile } from 'node:fs/promises'
import { NotifyConfig } from '../../contracts/notify.ts'
import { ConfigError } from '../../lib/config.ts'

/** Larger than any sensible file of 50 channels and 100 rules. */
const MAX_FILE_BYTES = 1024 * 1024

export async function loadNotifyConfig(file: string): Promise<NotifyConfig> {
  const where = `QINGYUN_NOTIFY_FILE=${JSON.stringify(file)}`
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new ConfigError([`${where}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`])
  }
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) throw new ConfigError([`${where}: larger than ${MAX_FILE_BYTES} bytes`])
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new ConfigError([`${where}: not JSON (${(err as Error).message})`])
  }
  const parsed = NotifyConfig.safeParse(json)
  if (!parsed.success) {
    // The issue's path and message only: zod's messages do not echo the value (a secret, a URL with a key).
    throw new ConfigError(parsed.error.issues.map((i) => `${where}: ${i.path.join('.') || '(file)'}: ${i.message}`))
  }
  return parsed.data
}
