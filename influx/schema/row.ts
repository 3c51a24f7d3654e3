// InfluxDB rows (influx/schema/README.md) back into the facts ingest committed, so a rebuild
// folds exactly what live folding saw, through the same fold (docs/architecture.md). Each kind's
// reverse sits next to its point in `<kind>.ts`; these are the pieces they share.

/** A row as `rows()` (influx/client.ts) gives it: `time` (epoch ms), the tags and the fields. */
export type Row = Record<string, unknown>

const absent = (v: unknown): boolean => v === null || v === undefined || v === ''
export const optNum = (v: unknown): number | undefined => (absent(v) ? undefined : Number(v))
export const optStr = (v: unknown): string | undefined => (absent(v) ? undefined : String(v))
/** Only the keys whose value is defined (optional properties are absent, never `undefined`). */
export function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never
}

/** The fields every data point has; its event time is the point's time (to the millisecond). */
export const dataBase = (r: Row) =>
  defined({ deviceId: String(r.device), ts: Number(r.time), recvMs: Number(r.recv_ms), seq: optNum(r.seq) })
