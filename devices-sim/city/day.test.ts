import { describe, expect, it } from 'vitest'
import { deviceMessages } from '../../contracts/device/index.ts'
import { loadRegistry } from '../../registry/load.ts'
import { SAMPLE_PATH } from '../../registry/sample/generate.ts'
import { createCityDay, type SimEvent } from './day.ts'
import { subsetRegistry } from './subset.ts'
import { HOUR } from './types.ts'

const sample = await loadRegistry(SAMPLE_PATH)
const small = subsetRegistry(sample)
const base = { date: '2026-03-14', tz: 'Asia/Shanghai', seed: 7, notClearing: 1 }

function wholeDay(opts: Parameters<typeof createCityDay>[1] = base, registry = small): SimEvent[] {
  const day = createCityDay(registry, opts)
  return day.until(day.dayEnd)
}

describe('city day (pure model)', () => {
  const day = createCityDay(small, base)
  const events = day.until(day.dayEnd)

  it('produces only messages the wire contract accepts', () => {
    expect(events.length).toBeGreaterThan(1000)
    for (const e of events) {
      const r = deviceMessages[e.kind].safeParse(e.message)
      expect(r.error?.issues ?? [], `${e.deviceId} ${e.kind} ${JSON.stringify(e.message)}`).toEqual([])
    }
    const kinds = new Set(events.map((e) => e.kind))
    expect([...kinds].sort()).toEqual(['fill', 'position', 'status', 'weighing'])
  })

  it('stamps local time (+08:00) within the day, and a strictly increasing seq per device', () => {
    const last = new Map<string, number>()
    for (const e of events) {
      expect(e.message.ts).toMatch(/^2026-03-14T\d\d:\d\d:\d\d\.\d{3}\+08:00$/)
      expect(Date.parse(e.message.ts as string)).toBe(e.t)
      const prev = last.get(e.deviceId) ?? -1
      expect(e.message.seq).toBe(prev + 1)
      last.set(e.deviceId, e.message.seq!)
    }
  })

  it('fills bins with morning and evening peaks and empties them when a truck calls', () => {
    expect(day.emptyings.length).toBeGreaterThan(0)
    for (const e of day.emptyings.slice(0, 20)) {
      const bin = day.bins.get(e.binId)!
      expect(bin.fillAt(e.t - 1)).toBeGreaterThan(bin.fillAt(e.t) + 5)
    }
    const b = day.bins.values().next().value!
    const rise = (h0: number, h1: number) => b.fillAt(day.dayStart + h1 * HOUR) - b.fillAt(day.dayStart + h0 * HOUR)
    if (!day.emptyings.some((e) => e.binId === b.bin.id && e.t < day.dayStart + 9 * HOUR))
      expect(rise(7, 8)).toBeGreaterThan(rise(2, 3))
  })

  it('writes tickets with net = gross − tare, recyclables with a material to sorting centres', () => {
    const w = events.filter((e): e is SimEvent<'weighing'> => e.kind === 'weighing').map((e) => e.message)
    expect(w.some((t) => t.direction === 'in') && w.some((t) => t.direction === 'out')).toBe(true)
    for (const t of w) {
      expect(t.netKg).toBe(t.grossKg - t.tareKg)
      expect(t.stream === 'recyclable').toBe(t.material !== undefined)
    }
    const sorting = new Set(small.sites.filter((s) => s.type === 'sorting').map((s) => s.id))
    for (const tk of day.tickets.filter((t) => t.direction === 'in' && t.stream === 'recyclable'))
      expect(sorting.has(tk.siteId)).toBe(true)
    expect(new Set(w.map((t) => t.ticketId)).size).toBe(w.length)
  })

  it('clears most sites by the end of the day and leaves the chosen few with stock', () => {
    const full = createCityDay(sample, { ...base, notClearing: 3 })
    const stock = new Map<string, number>()
    for (const t of full.tickets)
      stock.set(t.siteId, (stock.get(t.siteId) ?? 0) + (t.direction === 'in' ? t.netKg : -t.netKg))
    expect(full.notClearing.size).toBe(3)
    const withInbound = [...stock.keys()]
    expect(withInbound.length).toBeGreaterThan(30)
    for (const id of withInbound) {
      if (full.notClearing.has(id)) continue
      expect(stock.get(id), id).toBe(0)
    }
    expect([...full.notClearing].filter((id) => (stock.get(id) ?? 0) > 0).length).toBeGreaterThan(0)
    for (const t of full.tickets) expect(t.t).toBeLessThan(full.dayEnd)
  })

  it('is reproducible for a seed whatever the steps, and differs for another seed', () => {
    const stepped = createCityDay(small, base)
    const pieces: SimEvent[] = []
    for (let t = stepped.dayStart; t <= stepped.dayEnd; t += 7 * 60_000 + 13) pieces.push(...stepped.until(t))
    pieces.push(...stepped.until(stepped.dayEnd))
    expect(JSON.stringify(pieces)).toBe(JSON.stringify(events))
    expect(JSON.stringify(wholeDay({ ...base, seed: 8 }))).not.toBe(JSON.stringify(events))
  })

  it('drives trucks along their routes: positions move at speed on duty', () => {
    const pos = events.filter((e): e is SimEvent<'position'> => e.kind === 'position')
    expect(pos.some((p) => p.message.speedKmh > 10)).toBe(true)
    expect(pos.some((p) => p.message.speedKmh === 0)).toBe(true)
  })

  it("with coarseGps, only the trackers' fixes before its instant are fewer; all else is the same day", () => {
    const untilMs = day.dayStart + 14 * HOUR
    const coarse = wholeDay({ ...base, coarseGps: { untilMs, intervalS: 60 } })
    const trackers = new Set(small.devices.filter((d) => d.type === 'gps-tracker').map((d) => d.id))
    // Tickets, fills and every device's heartbeats: what the full day sends, to the seq.
    const others = (list: SimEvent[]) => JSON.stringify(list.filter((e) => !trackers.has(e.deviceId)))
    expect(others(coarse)).toBe(others(events))
    const strip = (list: SimEvent[]) =>
      JSON.stringify(
        list.filter((e) => trackers.has(e.deviceId) && e.kind === 'status').map((e) => ({ ...e.message, seq: 0 }))
      )
    expect(strip(coarse)).toBe(strip(events))
    const fixes = (list: SimEvent[], before: boolean) =>
      list.filter((e) => e.kind === 'position' && e.t < untilMs === before)
    // Before the instant, one fix a minute instead of every 15 s; after it, the city's interval
    // (the first fix after it comes up to a minute late: at most 3 fewer per tracker).
    const before = fixes(coarse, true).length
    expect(before).toBeGreaterThan(0)
    expect(before).toBeLessThanOrEqual(Math.ceil(fixes(events, true).length / 4) + trackers.size)
    const gaps = new Map<string, number>()
    for (const e of fixes(coarse, true)) {
      const prev = gaps.get(e.deviceId)
      if (prev !== undefined) expect(e.t - prev).toBe(60_000)
      gaps.set(e.deviceId, e.t)
    }
    const after = fixes(coarse, false)
    expect(after.length).toBeGreaterThan(0)
    expect(after.length).toBeGreaterThanOrEqual(fixes(events, false).length - 4 * trackers.size)
    // Seqs stay gapless per device (a gap would count as missing data).
    const last = new Map<string, number>()
    for (const e of coarse) {
      expect(e.message.seq).toBe((last.get(e.deviceId) ?? -1) + 1)
      last.set(e.deviceId, e.message.seq!)
    }
  })

  it("with coarseFill, the bins' readings before its instant are fewer; tickets and fixes are the same", () => {
    const untilMs = day.dayStart + 14 * HOUR
    const coarse = wholeDay({ ...base, coarseFill: { untilMs, intervalS: 1800 } })
    const of = (list: SimEvent[], kinds: string[]) => JSON.stringify(list.filter((e) => kinds.includes(e.kind)))
    expect(of(coarse, ['weighing', 'position'])).toBe(of(events, ['weighing', 'position']))
    const fills = (list: SimEvent[], before: boolean) =>
      list.filter((e) => e.kind === 'fill' && e.t < untilMs === before)
    const bins = new Set(fills(events, true).map((e) => e.deviceId))
    const before = fills(coarse, true)
    // One reading per 30 min instead of every 5 min (the first within the first 5 min).
    expect(before.length).toBeLessThanOrEqual(Math.ceil(fills(events, true).length / 6) + bins.size)
    expect(before.length).toBeGreaterThan(0)
    const prev = new Map<string, number>()
    for (const e of before) {
      const p = prev.get(e.deviceId)
      if (p !== undefined) expect(e.t - p).toBe(1_800_000)
      prev.set(e.deviceId, e.t)
    }
    // After the instant, every 5 min again; the levels are the full day's (noise of ±1 % aside).
    const after = fills(coarse, false)
    expect(after.length).toBeGreaterThanOrEqual(fills(events, false).length - bins.size)
    const level = new Map(events.filter((e) => e.kind === 'fill').map((e) => [`${e.deviceId}|${e.t}`, e]))
    for (const e of before) {
      const full = level.get(`${e.deviceId}|${e.t}`)
      if (full)
        expect(
          Math.abs((e.message as { fillPct: number }).fillPct - (full.message as { fillPct: number }).fillPct)
        ).toBeLessThanOrEqual(2)
    }
  })
})
