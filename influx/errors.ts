// The influx/ error catalog: stable codes callers can branch on (docs/conventions.md, rule 8).
// Messages never contain credentials; causes are kept with { cause }.

export type InfluxErrorCode =
  | 'INFLUX_E_NETWORK'
  | 'INFLUX_E_TIMEOUT'
  | 'INFLUX_E_HTTP'
  | 'INFLUX_E_QUERY'
  | 'INFLUX_E_NOT_INSTALLED'
  | 'INFLUX_E_START'

export class InfluxError extends Error {
  override readonly name: string = 'InfluxError'
  constructor(
    readonly code: InfluxErrorCode,
    message: string,
    options?: ErrorOptions
  ) {
    super(message, options)
  }
}

/** The request never got an HTTP answer (refused, reset, DNS...). Safe to retry. */
export class InfluxNetworkError extends InfluxError {
  override readonly name: string = 'InfluxNetworkError'
  constructor(message: string, options?: ErrorOptions, code: InfluxErrorCode = 'INFLUX_E_NETWORK') {
    super(code, message, options)
  }
}

/** No complete answer within the client's timeout. A subclass of the network error because the
 *  remedy is the same (retry); the write may or may not have landed, which is harmless because a
 *  point's identity makes a rewrite idempotent. */
export class InfluxTimeoutError extends InfluxNetworkError {
  override readonly name: string = 'InfluxTimeoutError'
  constructor(message: string, options?: ErrorOptions) {
    super(message, options, 'INFLUX_E_TIMEOUT')
  }
}

/** An HTTP answer that is not what the endpoint promises (non-JSON error page, 401/403, 5xx...). */
export class InfluxHttpError extends InfluxError {
  override readonly name: string = 'InfluxHttpError'
  constructor(
    readonly status: number,
    message: string,
    options?: ErrorOptions
  ) {
    super('INFLUX_E_HTTP', message, options)
  }
}

/** InfluxQL refused the statement; `influxError` is InfluxDB's own text. */
export class InfluxQueryError extends InfluxError {
  override readonly name: string = 'InfluxQueryError'
  constructor(
    readonly influxError: string,
    readonly status: number,
    readonly statementId?: number,
    options?: ErrorOptions
  ) {
    super(
      'INFLUX_E_QUERY',
      `InfluxQL error${statementId === undefined ? '' : ` in statement ${statementId}`}: ${influxError}`,
      options
    )
  }
}

/** influxd is not installed (influx/local.ts). */
export class InfluxdNotFoundError extends InfluxError {
  override readonly name: string = 'InfluxdNotFoundError'
  constructor(message: string) {
    super('INFLUX_E_NOT_INSTALLED', message)
  }
}

/** influxd exited or did not answer /ping in time (influx/local.ts). */
export class InfluxdStartError extends InfluxError {
  override readonly name: string = 'InfluxdStartError'
  constructor(
    message: string,
    readonly stderrTail: readonly string[],
    options?: ErrorOptions
  ) {
    super('INFLUX_E_START', message, options)
  }
}
