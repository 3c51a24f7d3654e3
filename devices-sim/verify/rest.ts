// Truth against the REST API: site balances (inT, outT per local day) and the completeness
// report per device (accepted, rejected by code, duplicates, missing, conflicts). Duplicates may exceed what
// the simulator resent on purpose by the messages mqtt.js had in flight when a connection dropped
// (it resends those, and the broker may have stored the first copy): that is the tolerance.
import { z } from 'zod'
import { CompletenessRow } from '../../contracts/ops.ts'
import type { Truth } from '../run/truth.ts'
import { tonnes, truthDays, type Difference, type VerifyReport } from './compare.ts'

const Balance = z.object({ inT: z.number(), outT: z.number() }).loose()

export interface RestTarget {
  readonly api: string
  readonly token: string
  readonly fetch?: typeof fetch
  readonly timeoutMs?: number
}

export async function verifyRest(truth: Truth, target: RestTarget): Promise<VerifyReport> {
  const f = target.fetch ?? globalThis.fetch
  const base = target.api.replace(/\/+$/, '')
  const get = async (path: string): Promise<{ status: number; json: unknown }> => {
    const res = await f(`${base}${path}`, {
      headers: { Authorization: `Bearer ${target.token}` },
      signal: AbortSignal.timeout(target.timeoutMs ?? 10_000)
    })
    const text = await res.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = text
    }
    return { status: res.status, json }
  }
  const differences: Difference[] = []
  const notes: string[] = []
  let checked = 0
  const diff = (
    subject: string,
    day: string,
    field: string,
    expected: number | string,
    actual: number | string,
    ok = String(expected) === String(actual)
  ): void => {
    checked++
    if (!ok)
      differences.push({ source: 'rest', subject, day, field, expected: String(expected), actual: String(actual) })
  }

  for (const s of truth.sites) {
    const r = await get(`/api/v1/sites/${encodeURIComponent(s.siteId)}/balance?date=${s.day}`)
    const b = Balance.safeParse(r.json)
    if (r.status !== 200 || !b.success) {
      diff(
        s.siteId,
        s.day,
        'balance',
        'HTTP 200 {inT, outT}',
        `HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 80)}`,
        false
      )
      continue
    }
    diff(s.siteId, s.day, 'inT', tonnes(s.inKg), b.data.inT)
    diff(s.siteId, s.day, 'outT', tonnes(s.outKg), b.data.outT)
  }

  for (const day of truthDays(truth)) {
    const r = await get(`/api/v1/completeness?date=${day}&by=device`)
    const list = z
      .array(CompletenessRow)
      .safeParse(Array.isArray(r.json) ? r.json : (r.json as { rows?: unknown } | null)?.rows)
    if (r.status !== 200 || !list.success) {
      diff(
        'completeness',
        day,
        'rows',
        'HTTP 200 CompletenessRow[]',
        `HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 80)}`,
        false
      )
      continue
    }
    const byKey = new Map(list.data.map((row) => [row.key, row]))
    for (const d of truth.devices) {
      const dd = d.days[day]
      if (!dd) continue
      const row = byKey.get(d.deviceId)
      const accepted = Object.values(dd.accepted).reduce((a, b) => a + b, 0)
      diff(d.deviceId, day, 'accepted', accepted, row?.accepted ?? 0)
      for (const code of new Set([...Object.keys(dd.rejected), ...Object.keys(row?.rejected ?? {})])) {
        const k = code as keyof typeof dd.rejected
        const e = dd.rejected[k] ?? 0
        const a = row?.rejected[k] ?? 0
        const s = d.possibleRetransmits
        diff(d.deviceId, day, `rejected ${code}`, s > 0 ? `${e}..${e + s}` : e, a, a >= e && a <= e + s)
      }
      const dups = row?.duplicates ?? 0
      // possibleRetransmits counts publishes, duplicates count objects: a retransmitted late
      // batch (the only publishes with several objects) repeats every object in it, and those
      // objects are all counted in `late`.
      const slack = d.possibleRetransmits > 0 ? d.possibleRetransmits + dd.late : 0
      diff(
        d.deviceId,
        day,
        'duplicates',
        slack > 0 ? `${dd.duplicates}..${dd.duplicates + slack}` : dd.duplicates,
        dups,
        dups >= dd.duplicates && dups <= dd.duplicates + slack
      )
      diff(d.deviceId, day, 'missing', 0, row?.missing ?? 0)
      // The simulator resends the same bytes, never other content: no conflict is expected.
      diff(d.deviceId, day, 'conflicts', 0, row?.conflicts ?? 0)
    }
  }
  notes.push(
    'late is not compared: on a past --date every accelerated message arrives after its event time; the truth lists late batches per device'
  )
  return { checked, differences, notes }
}
