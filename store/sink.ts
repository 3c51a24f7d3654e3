// Where committed lines go. Ingest writes to the spool's Sink (store/spoolSink.ts: durable on
// this node's disk); the forwarder writes from the spool to the group-commit writer
// (store/influxWriter.ts), the Sink in front of InfluxDB. Ingest only sees this interface.

export interface LineRejection {
  /** Index into the `lines` array given to write(). */
  readonly index: number
  /** The server's reason, e.g. InfluxDB's "field type conflict" text. */
  readonly error: string
}

export interface SinkResult {
  /** Lines the store refused for what they are (HTTP 400 isolated to the line). Everything else is durable. */
  readonly rejected: readonly LineRejection[]
}

export interface Sink {
  /** Resolves once every line is durable or individually rejected; never rejects for transport
   *  trouble (it retries until the store answers or the sink is closed). */
  write(lines: readonly string[]): Promise<SinkResult>
  /** Stop accepting; resolve when in-flight writes end. Pending writes reject with SinkClosedError. */
  close(): Promise<void>
}
