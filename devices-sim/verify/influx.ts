// Truth against InfluxDB (InfluxQL over the v1 API): Σ net and ticket counts per site, direction
// and local day; accepted objects per device, kind and day (duplicates overwrite themselves, so
// a count is of distinct objects); rejections per device and code within the run's wall window.
import { Kind } from '../../contracts/device/index.ts'
import { rows, type InfluxClient } from '../../influx/client.ts'
import { FIELD as F, MEASUREMENT as M, q, TAG as T } from '../../influx/schema/names.ts'
import { addDays, startOfLocalDay } from '../../lib/time.ts'
import type { Truth } from '../run/truth.ts'
import { tonnes, truthDays, type Difference, type VerifyReport } from './compare.ts'

const ns = (ms: number): string => `${BigInt(ms) * 1_000_000n}`

export async function verifyInflux(truth: Truth, influx: InfluxClient): Promise<VerifyReport> {
  const differences: Difference[] = []
  let checked = 0
  const diff = (
    subject: string,
    day: string,
    field: string,
    expected: number | string,
    actual: number | string
  ): void => {
    checked++
    if (String(expected) !== String(actual))
      differences.push({ source: 'influx', subject, day, field, expected: String(expected), actual: String(actual) })
  }
  const select = async (q: string): Promise<Record<string, unknown>[]> =>
    rows((await influx.query(q, { epoch: 'ms' }))[0])
  const ids = new Set(truth.devices.map((d) => d.deviceId))

  for (const day of truthDays(truth)) {
    const range = `time >= ${ns(startOfLocalDay(day, truth.tz))} AND time < ${ns(startOfLocalDay(addDays(day, 1), truth.tz))}`
    const w = await select(
      `SELECT sum(${F.netKg}) AS kg, count(${F.netKg}) AS n FROM ${M.weighing} WHERE ${range} GROUP BY ${T.site}, ${T.direction}`
    )
    const got = new Map(
      w.map((r) => [`${String(r[T.site])}|${String(r[T.direction])}`, { kg: Number(r.kg), n: Number(r.n) }])
    )
    for (const s of truth.sites.filter((x) => x.day === day)) {
      const i = got.get(`${s.siteId}|in`) ?? { kg: 0, n: 0 }
      const o = got.get(`${s.siteId}|out`) ?? { kg: 0, n: 0 }
      diff(s.siteId, day, 'inT', tonnes(s.inKg), tonnes(i.kg))
      diff(s.siteId, day, 'outT', tonnes(s.outKg), tonnes(o.kg))
      diff(s.siteId, day, 'ticketsIn', s.ticketsIn, i.n)
      diff(s.siteId, day, 'ticketsOut', s.ticketsOut, o.n)
    }
    for (const kind of Kind.options) {
      const r = await select(`SELECT count(${F.recvMs}) AS n FROM ${q(M[kind])} WHERE ${range} GROUP BY ${T.device}`)
      const byDevice = new Map(r.map((x) => [String(x[T.device]), Number(x.n)]))
      for (const d of truth.devices) {
        const expected = d.days[day]?.accepted[kind] ?? 0
        const actual = byDevice.get(d.deviceId) ?? 0
        if (expected === 0 && actual === 0) continue
        diff(d.deviceId, day, `accepted ${kind}`, expected, actual)
      }
    }
  }
  // Rejections are stamped with the event time when readable, else the arrival time: select
  // them by arrival (recv_ms) within the run, whatever day they count on.
  const arrived = `${F.recvMs} >= ${truth.startedAt - 5000} AND ${F.recvMs} <= ${truth.endedAt + 60_000}`
  const rej = await select(
    `SELECT count(${F.error}) AS n FROM ${M.rejection} WHERE ${arrived} GROUP BY ${T.device}, ${T.code}`
  )
  const got = new Map(
    rej
      .filter((r) => ids.has(String(r[T.device])))
      .map((r) => [`${String(r[T.device])}|${String(r[T.code])}`, Number(r.n)])
  )
  const expected = new Map<string, number>()
  for (const d of truth.devices) {
    for (const dd of Object.values(d.days)) {
      for (const [code, n] of Object.entries(dd.rejected))
        expected.set(`${d.deviceId}|${code}`, (expected.get(`${d.deviceId}|${code}`) ?? 0) + n)
    }
  }
  // A bad message resent after a dropped connection is refused again; when it had no readable
  // event time its record is stamped with the new arrival time: up to `possibleRetransmits` more.
  const slack = new Map(truth.devices.map((d) => [d.deviceId, d.possibleRetransmits]))
  for (const key of new Set([...expected.keys(), ...got.keys()])) {
    const [device, code] = key.split('|') as [string, string]
    const e = expected.get(key) ?? 0
    const a = got.get(key) ?? 0
    const s = slack.get(device) ?? 0
    checked++
    if (a < e || a > e + s)
      differences.push({
        source: 'influx',
        subject: device,
        day: '*',
        field: `rejected ${code}`,
        expected: s > 0 ? `${e}..${e + s}` : String(e),
        actual: String(a)
      })
  }
  const allowance = truth.devices.reduce((n, d) => n + d.possibleRetransmits, 0)
  const devicesWithAllowance = truth.devices.filter((d) => d.possibleRetransmits > 0).length
  return {
    checked,
    differences,
    notes: [
      `retransmission allowance used: ${allowance} possible retransmits over ${devicesWithAllowance} devices (publishes in flight when a connection dropped)`
    ]
  }
}
