// bench:ack's table and summary: pure functions of the round results.
import type { RoundResult, StoreLag } from './protocol.ts'

export interface Summary {
  readonly target: string
  readonly rounds: number
  readonly ackedPerS: { readonly median: number; readonly min: number; readonly max: number }
  readonly p99Ms: { readonly median: number; readonly min: number; readonly max: number }
  readonly peakRssMiB: Readonly<Record<string, number>>
}

export const GOALS = { ratioToAedes: 0.8, halfRateP99Ms: 50, storeLagP99Ms: 1000 } as const

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

function spread(xs: number[]): { median: number; min: number; max: number } {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) }
}

export function summarise(target: string, rounds: RoundResult[], peakRssMiB: Record<string, number>): Summary {
  return {
    target,
    rounds: rounds.length,
    ackedPerS: spread(rounds.map((r) => r.ackedPerS)),
    p99Ms: spread(rounds.map((r) => r.latencyMs.p99)),
    peakRssMiB
  }
}

const f0 = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–')
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–')
const pad = (cells: string[], widths: number[]): string =>
  cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')

/** `qingyun 41 + influxd 12`: each process's CPU per acked message. */
const cpuCell = (us: Readonly<Record<string, number>> | undefined): string =>
  Object.entries(us ?? {})
    .map(([name, v]) => `${name} ${Number.isFinite(v) ? v.toFixed(0) : '?'}`)
    .join(' + ')

export function roundTable(rounds: RoundResult[], labels: string[]): string[] {
  const head = [
    'round',
    'target',
    'acked msg/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'max ms',
    'errors',
    'gen CPU',
    'CPU µs/msg',
    'lag p50',
    'lag p99'
  ]
  const rows = rounds.map((r, i) => [
    labels[i]!,
    r.target,
    f0(r.ackedPerS),
    f1(r.latencyMs.p50),
    f1(r.latencyMs.p95),
    f1(r.latencyMs.p99),
    f1(r.latencyMs.max),
    String(r.errors + r.notSent),
    `${Math.round(r.generatorCpuPct)} %`,
    cpuCell(r.cpuUsPerMsg),
    r.storeLagMs ? f0(r.storeLagMs.p50) : '',
    r.storeLagMs ? f0(r.storeLagMs.p99) : ''
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  return [pad(head, widths), ...rows.map((r) => pad(r, widths))]
}

export function summaryTable(summaries: Summary[]): string[] {
  const head = ['target', 'rounds', 'acked msg/s median', 'range', 'p99 ms median', 'range', 'peak RSS MiB']
  const rows = summaries.map((s) => [
    s.target,
    String(s.rounds),
    f0(s.ackedPerS.median),
    `${f0(s.ackedPerS.min)}–${f0(s.ackedPerS.max)}`,
    f1(s.p99Ms.median),
    `${f1(s.p99Ms.min)}–${f1(s.p99Ms.max)}`,
    Object.entries(s.peakRssMiB)
      .map(([k, v]) => `${k} ${f0(v)}`)
      .join(' + ')
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  return [pad(head, widths), ...rows.map((r) => pad(r, widths))]
}

export interface Verdicts {
  readonly ratioToAedes: number | null
  readonly ratioToMosquitto: number | null
  /** Per target, per process: median CPU µs per acked message at max rate. */
  readonly cpuUsPerMsg: Readonly<Record<string, Readonly<Record<string, number>>>>
  readonly storeLag: Pick<StoreLag, 'p50' | 'p99' | 'samples' | 'notSeen'> | null
  readonly half: RoundResult | null
  /** The other targets paced at qingyun's paced rate. */
  readonly pacedOthers: readonly RoundResult[]
  /** The paced phase ran at --paced, not at half the max rate: no goal applies. */
  readonly pacedByFlag?: boolean
}

export function verdictLines(v: Verdicts): string[] {
  const met = (ok: boolean): string => (ok ? 'met' : 'NOT MET')
  const out: string[] = []
  if (v.ratioToAedes !== null) {
    out.push(
      `qingyun / bare Aedes   ${v.ratioToAedes.toFixed(2)}×  (acked msg/s, medians of rounds; ` +
        `goal ≥ ${GOALS.ratioToAedes}×: ${met(v.ratioToAedes >= GOALS.ratioToAedes)})`
    )
  }
  if (v.ratioToMosquitto !== null) {
    out.push(`qingyun / Mosquitto    ${v.ratioToMosquitto.toFixed(2)}×  (acked msg/s, medians of rounds)`)
  }
  const cost = (t: string): number => Object.values(v.cpuUsPerMsg[t] ?? {}).reduce((a, b) => a + b, 0)
  const costs = Object.keys(v.cpuUsPerMsg).filter((t) => Number.isFinite(cost(t)) && cost(t) > 0)
  if (costs.length > 0) {
    out.push(
      `CPU per acked message (all of a target's processes): ` +
        costs.map((t) => `${t} ${f0(cost(t))} µs (${cpuCell(v.cpuUsPerMsg[t])})`).join(', ')
    )
    if (costs.includes('qingyun') && costs.includes('aedes'))
      out.push(`qingyun / bare Aedes CPU per message   ${(cost('qingyun') / cost('aedes')).toFixed(2)}×`)
  }
  if (v.storeLag) {
    out.push(
      `qingyun store lag at max rate: p50 ${f0(v.storeLag.p50)} ms, p99 ${f0(v.storeLag.p99)} ms ` +
        `(${v.storeLag.samples} samples, ${v.storeLag.notSeen} not seen; goal p99 ≤ ${GOALS.storeLagP99Ms} ms: ` +
        `${met(v.storeLag.notSeen === 0 && v.storeLag.p99 <= GOALS.storeLagP99Ms)})`
    )
  }
  const h = v.half
  if (h && h.targetRate !== null) {
    out.push(
      `qingyun ${v.pacedByFlag ? 'paced (--paced)' : 'at half its max rate'} (${f0(h.targetRate)} msg/s asked, ` +
        `${f0(h.ackedPerS)} acked, ${h.notSent} not sent):`
    )
    out.push(
      `  PUBACK p50 ${f1(h.latencyMs.p50)} ms, p99 ${f1(h.latencyMs.p99)} ms ` +
        (v.pacedByFlag
          ? '(the goal is for half the max rate)'
          : `(goal p99 ≤ ${GOALS.halfRateP99Ms} ms: ${met(h.latencyMs.p99 <= GOALS.halfRateP99Ms)})`)
    )
    for (const o of v.pacedOthers) {
      out.push(
        `  the same rate through ${o.target}: ${f0(o.ackedPerS)} acked, PUBACK p50 ${f1(o.latencyMs.p50)} ms, ` +
          `p99 ${f1(o.latencyMs.p99)} ms, ${o.notSent} not sent`
      )
    }
    if (h.storeLagMs) {
      out.push(
        `  store lag p50 ${f0(h.storeLagMs.p50)} ms, p99 ${f0(h.storeLagMs.p99)} ms ` +
          `(${h.storeLagMs.samples} samples, ` +
          `${h.storeLagMs.notSeen} not seen; goal p99 ≤ ${GOALS.storeLagP99Ms} ms: ` +
          `${met(h.storeLagMs.notSeen === 0 && h.storeLagMs.p99 <= GOALS.storeLagP99Ms)})`
      )
    }
  }
  return out
}
