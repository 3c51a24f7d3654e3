// Edits of targets and rules for the admin API (issue 3 item 1). Pure: registry + change →
// the next registry, which passes the schema and checkRegistry, or the problems, each naming
// the field. Persisting (saveRegistry) and reloading (the store) are the caller's.
import { AdminChange, type Registry, type Site } from '../contracts/registry.ts'
import { validateRegistry } from './load.ts'

export type AdminResult =
  | { readonly ok: true; readonly registry: Registry }
  | { readonly ok: false; readonly problems: readonly string[] }

const fail = (...problems: string[]): AdminResult => ({ ok: false, problems })

function path(p: readonly PropertyKey[]): string {
  return p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '')
}

function applySite(site: Site, c: Extract<AdminChange, { op: 'set-site' }>): Site {
  const next: Site = { ...site }
  if (c.capacityTpd !== undefined) next.capacityTpd = c.capacityTpd
  if (c.toleranceT === null) delete next.toleranceT
  else if (c.toleranceT !== undefined) next.toleranceT = c.toleranceT
  if (c.cutoff === null) delete next.cutoff
  else if (c.cutoff !== undefined) next.cutoff = c.cutoff
  return next
}

function apply(registry: Registry, c: AdminChange): Registry | string {
  switch (c.op) {
    case 'set-city-target':
      return { ...registry, city: { ...registry.city, dailyTargetT: c.dailyTargetT } }
    case 'set-recyclable-targets': {
      const { recyclablesMonthlyT: _old, ...rest } = registry.targets ?? {}
      const targets = Object.keys(c.recyclablesMonthlyT).length > 0 ? { ...rest, recyclablesMonthlyT: c.recyclablesMonthlyT } : rest
      const next: Registry = { ...registry, targets }
      if (Object.keys(targets).length === 0) delete next.targets
      return next
    }
    case 'set-site': {
      const i = registry.sites.findIndex((s) => s.id === c.siteId)
      if (i < 0) return `siteId: no site ${JSON.stringify(c.siteId)}`
      const sites = registry.sites.map((s, j) => (j === i ? applySite(s, c) : s))
      return { ...registry, sites }
    }
    case 'put-zone': {
      const zones = [...(registry.zones ?? [])]
      const i = zones.findIndex((z) => z.id === c.zone.id)
      if (i < 0) zones.push(c.zone)
      else zones[i] = c.zone
      return { ...registry, zones }
    }
    case 'delete-zone': {
      const zones = registry.zones ?? []
      if (!zones.some((z) => z.id === c.zoneId)) return `zoneId: no zone ${JSON.stringify(c.zoneId)}`
      return { ...registry, zones: zones.filter((z) => z.id !== c.zoneId) }
    }
    case 'set-rules': {
      const base = c.reset ? {} : registry.rules ?? {}
      const offline = { ...(base.offlineAfterMs ?? {}), ...(c.rules.offlineAfterMs ?? {}) }
      const rules = { ...base, ...c.rules, ...(Object.keys(offline).length > 0 ? { offlineAfterMs: offline } : {}) }
      const next: Registry = { ...registry, rules }
      if (Object.keys(rules).length === 0) delete next.rules
      return next
    }
  }
}

/**
 * Applies one admin change. The change is checked against its schema first (it may come
 * straight from an HTTP body), then the whole resulting registry against the registry schema
 * and checkRegistry; nothing is returned that the loader would refuse.
 */
export function applyAdminChange(registry: Registry, change: unknown): AdminResult {
  const parsed = AdminChange.safeParse(change)
  if (!parsed.success) return fail(...parsed.error.issues.map((i) => (i.path.length > 0 ? `${path(i.path)}: ${i.message}` : i.message)))
  const next = apply(registry, parsed.data)
  if (typeof next === 'string') return fail(next)
  const { registry: valid, problems } = validateRegistry(next, 'registry')
  if (!valid) return fail(...problems.map((p) => p.replace(/^registry: /, '')))
  return { ok: true, registry: valid }
}
