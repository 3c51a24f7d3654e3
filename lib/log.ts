import { pino, type DestinationStream, type Logger } from 'pino'
import { prettyStream } from './logPretty.ts'

/**
 * The process's root logger; components take `log.child({ component })`. Secrets are redacted.
 * `pretty`: readable lines on stdout (for a terminal, lib/logPretty.ts); otherwise JSON lines.
 */
export function createLogger(level: string, stream?: DestinationStream, opts: { pretty?: boolean } = {}): Logger {
  return pino(
    {
      level,
      base: { service: 'qingyun' },
      redact: { paths: ['password', 'token', '*.password', '*.token', 'auth', '*.auth'], censor: '[redacted]' }
    },
    stream ?? (opts.pretty ? prettyStream(process.stdout) : undefined)
  )
}

/**
 * What a component logs through: the levels it uses, not the whole pino Logger, so a test can pass
 * a recorder. Components take this (or a narrower `Pick` of it), never a copy of the shape.
 */
export type Log = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>

/** For pieces that only ever warn (file watching, the registry lock). */
export type WarnLog = Pick<Log, 'warn'>
