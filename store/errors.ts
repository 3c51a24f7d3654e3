/** Error codes of the spool; stable, for logs and for callers to branch on. */
export type SpoolErrorCode =
  | 'SPOOL_E_TOO_LARGE' // one append holds more bytes than the whole spool may
  | 'SPOOL_E_RECORD_TOO_LARGE' // one record exceeds maxRecordBytes
  | 'SPOOL_E_COMMIT_AHEAD' // commit past the last durable record
  | 'SPOOL_E_CLOSED' // the spool was closed before the call could complete
  | 'SPOOL_E_WRITE' // a write or fsync failed; the batch is retried, never acked before it is durable

export class SpoolError extends Error {
  constructor(
    readonly code: SpoolErrorCode,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
    this.name = 'SpoolError'
  }
}
