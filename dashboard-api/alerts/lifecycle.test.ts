import { describe, expect, it } from 'vitest'
import type { Alert } from '../../contracts/ops.ts'
import { alertId, MAX_HISTORY, plan, type Streak } from './lifecycle.ts'
import { alertKey, desiredAlerts, type Desired } from './rules.ts'
import { at, bin, inputs, RULES, TZ } from './test/fixtures.ts'

const T0 = at('2026-06-15T12:00:00')
const H = { evaluations: 2, ms: 60_000 }

/** Runs the lifecycle over a series of (time, fill) readings of one bin, like the engine does. */
function simulate(readings: readonly (readonly [number, number])[]): { log: string[]; alerts: Map<string, Alert> } {
  let open = new Map<string, Alert>()
  let clear: ReadonlyMap<string, Streak> = new Map()
  const alerts = new Map<string, Alert>()
  const log: string[] = []
  for (const [t, fillPct] of readings) {
    const desired = desiredAlerts(inputs({ now: t, bins: [bin({ fillPct })] }), RULES, TZ)
    const p = plan(open, clear, desired, t, H, (id) => alerts.has(id))
    open = new Map(open)
    for (const a of [...p.resolved, ...p.opened, ...(p.updated ?? [])]) {
      alerts.set(a.id, a)
      if (a.state === 'open') open.set(alertKey(a), a)
      else open.delete(alertKey(a))
      log.push(`${(t - T0) / 1000}s ${a.state} ${a.type}`)
    }
    clear = p.clear
  }
  return { log, alerts }
}

describe('plan', () => {
  it('opens once per (type, subject) and keeps one episode while the condition holds', () => {
    const { log, alerts } = simulate([
      [T0, 85],
      [T0 + 10_000, 86],
      [T0 + 20_000, 90]
    ])
    expect(log).toEqual(['0s open bin-near-full'])
    const [a] = alerts.values()
    expect(a).toMatchObject({
      id: alertId('bin-near-full', { kind: 'bin', id: 'bin-lx-0001' }, T0),
      openedAt: T0,
      state: 'open',
      resolvedAt: null
    })
  })

  it('hysteresis: a value hovering at the threshold does not flap', () => {
    // 10 s evaluations, fill dipping under 80 % and back: never two clear evaluations 60 s apart.
    const readings = [80, 79, 80, 79, 79, 81, 79, 79, 79, 80].map((f, i) => [T0 + i * 10_000, f] as const)
    expect(simulate(readings).log).toEqual(['0s open bin-near-full'])
  })

  it('resolves after 2 clear evaluations spanning at least 60 s', () => {
    expect(
      simulate([
        [T0, 85],
        [T0 + 10_000, 50],
        [T0 + 70_000, 50]
      ]).log
    ).toEqual(['0s open bin-near-full', '70s resolved bin-near-full'])
    // Two clear evaluations 30 s apart are not enough; the third, 60 s after the first, is.
    expect(
      simulate([
        [T0, 85],
        [T0 + 10_000, 50],
        [T0 + 40_000, 50],
        [T0 + 70_000, 50]
      ]).log
    ).toEqual(['0s open bin-near-full', '70s resolved bin-near-full'])
    // A single evaluation, however long after, is not enough either.
    expect(
      simulate([
        [T0, 85],
        [T0 + 3_600_000, 50]
      ]).log
    ).toEqual(['0s open bin-near-full'])
  })

  it('starts a new episode with a new id after a resolution', () => {
    const { log, alerts } = simulate([
      [T0, 85],
      [T0 + 10_000, 50],
      [T0 + 70_000, 50],
      [T0 + 80_000, 90]
    ])
    expect(log).toEqual(['0s open bin-near-full', '70s resolved bin-near-full', '80s open bin-near-full'])
    expect(new Set([...alerts.values()].map((a) => a.id)).size).toBe(2)
  })

  it('an escalation raises the open alert at once', () => {
    expect(
      simulate([
        [T0, 85],
        [T0 + 10_000, 104]
      ]).log
    ).toEqual(['0s open bin-near-full', '10s open bin-overflow'])
  })

  it('keeps ids unique when an episode reopens in the same millisecond (hysteresis 0)', () => {
    const d: Desired = {
      type: 'device-offline',
      severity: 'warning',
      subject: { kind: 'device', id: 'd1' },
      message: 'm',
      details: {}
    }
    const first = plan(new Map(), new Map(), [d], T0, H).opened[0]!
    const closed = plan(new Map([[alertKey(d), first]]), new Map(), [], T0, { evaluations: 1, ms: 0 }).resolved[0]!
    expect(closed).toMatchObject({ id: first.id, state: 'resolved', resolvedAt: T0, updatedAt: T0 })
    const again = plan(new Map(), new Map(), [d], T0, H, (id) => id === first.id).opened[0]!
    expect(again.id).not.toBe(first.id)
    expect(again.openedAt).toBe(T0 + 1)
  })
})

describe('bin fill: one alert per bin', () => {
  it('escalates near-full to overflow on the same alert, de-escalates after hysteresis, never two open', () => {
    const { log, alerts } = simulate([
      [T0, 85],
      [T0 + 10_000, 104],
      [T0 + 20_000, 90],
      [T0 + 30_000, 90],
      [T0 + 90_000, 90],
      [T0 + 100_000, 50],
      [T0 + 160_000, 50]
    ])
    expect(new Set([...alerts.values()].map((a) => a.id)).size).toBe(1)
    expect(log).toEqual([
      '0s open bin-near-full',
      '10s open bin-overflow',
      '90s open bin-near-full',
      '160s resolved bin-near-full'
    ])
    const [a] = alerts.values()
    expect(a!.history?.map((h) => [h.type, h.severity, (h.at - T0) / 1000])).toEqual([
      ['bin-near-full', 'warning', 0],
      ['bin-overflow', 'critical', 10],
      ['bin-near-full', 'warning', 90]
    ])
  })
})

describe('level history', () => {
  it('keeps the first level and the latest ones, at most MAX_HISTORY', () => {
    const readings: [number, number][] = [[T0, 85]]
    // Overflow, then near-full held past the hysteresis, many times over.
    for (let i = 0; i < 60; i++) {
      const t = T0 + 1_000_000 * (i + 1)
      readings.push([t, 104], [t + 10_000, 90], [t + 80_000, 90])
    }
    const { alerts } = simulate(readings)
    expect(alerts.size).toBe(1)
    const [a] = alerts.values()
    expect(a!.history).toHaveLength(MAX_HISTORY)
    expect(a!.history![0]).toMatchObject({ at: T0, type: 'bin-near-full' })
    expect(a!.history!.at(-1)).toMatchObject({ type: 'bin-near-full' })
  })
})
