// A line InfluxDB refused after the device was acknowledged (e.g. a field type conflict left by
// other data in the database): the spool has moved on, so the refusal itself becomes a
// `rejection` record with code INGEST_E_STORE, counted in completeness like any other.
import type { RejectionFact } from '../contracts/facts.ts'
import { lineIdentity, toLine } from '../influx/lineProtocol.ts'
import { toPoint } from '../influx/schema/index.ts'
import { MEASUREMENT, TAG } from '../influx/schema/names.ts'

const KIND_OF_MEASUREMENT: ReadonlyMap<string, string> = new Map(
  Object.entries(MEASUREMENT).map(([kind, m]) => [m, kind])
)
const DEVICE_TAG = new RegExp(`(?:^|,)${TAG.device}=((?:\\\\.|[^,\\\\])*)`)

/** The rejection record's line for a refused line. */
export function refusalLine(line: string, error: string, nowMs: number): string {
  const identity = lineIdentity(line)
  const seriesKey = identity.slice(0, identity.lastIndexOf(' '))
  const measurement = seriesKey.split(',', 1)[0] ?? ''
  const device = DEVICE_TAG.exec(seriesKey.slice(measurement.length))?.[1]?.replace(/\\(.)/g, '$1') ?? 'unknown'
  const kind = KIND_OF_MEASUREMENT.get(measurement) ?? measurement
  const timeNs = identity.slice(identity.lastIndexOf(' ') + 1)
  const ts = /^\d{1,19}$/.test(timeNs) ? Math.floor(Number(timeNs) / 1e6) : undefined
  const fact: RejectionFact = {
    kind: 'rejection',
    deviceId: device,
    recvMs: nowMs,
    code: 'INGEST_E_STORE',
    msgKind: kind,
    topic: `v1/devices/${device}/${kind}`,
    error: `InfluxDB refused the point: ${error}`.slice(0, 1000),
    excerpt: line.slice(0, 1000),
    ...(ts !== undefined && Number.isSafeInteger(ts) ? { ts } : {})
  }
  return toLine(toPoint(fact))
}
