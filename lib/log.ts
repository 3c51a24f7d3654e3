import { pino, type DestinationStream, type Logger } from 'pino'

/** The process's root logger; components take `log.child({ component })`. Secrets are redacted. */
export function createLogger(level: string, stream?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'qingyun' },
      redact: { paths: ['password', 'token', '*.password', '*.token', 'auth', '*.auth'], censor: '[redacted]' }
    },
    stream
  )
}
