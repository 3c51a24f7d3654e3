// The node's notifier, built from its configuration (node/system.ts calls this once).
import type { Registry } from '../../contracts/registry.ts'
import type { Config } from '../../lib/config.ts'
import type { Log } from '../../lib/log.ts'
import { createPresenter } from '../alerts/present.ts'
import { loadNotifyConfig } from './config.ts'
import { createNotifier, type Notifier } from './notifier.ts'
import { httpSender, mailSender } from './transports.ts'

export async function notifierFromConfig(deps: {
  readonly config: Config['notify']
  readonly registry: () => Registry
  readonly tz: string
  readonly log: Log
  readonly now: () => number
}): Promise<Notifier | undefined> {
  const { config, log } = deps
  if (config.file === undefined) return undefined
  const file = await loadNotifyConfig(config.file)
  const mail = mailSender(config.timeoutMs)
  const notifier = createNotifier({
    config: file,
    present: () => createPresenter(deps.registry(), deps.tz),
    log,
    now: deps.now,
    queueMax: config.queueMax,
    maxAttempts: config.maxAttempts,
    retryMs: config.retryMs,
    sendHttp: httpSender(config.timeoutMs),
    sendMail: mail.send
  })
  log.info(
    { channels: file.channels.map((c) => ({ id: c.id, type: c.type })), rules: file.rules.length },
    'alert notifications configured'
  )
  return {
    ...notifier,
    close() {
      notifier.close()
      mail.close()
    }
  }
}
