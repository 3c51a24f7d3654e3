// Edits of targets and rules for the admin API. Pure: registry + change → the next registry,
// which passes the schema and checkRegistry, or the problems, each with the path of the field
// in the change (`zone.windows[1].from`, `cutoff`). Persisting is editRegistry's (edit.ts).
import { AdminChange, type Registry, type RegistryProblem, type Site } from '../contracts/registry.ts'
import { formatPath, validateRegistry } from './validate.ts'

export type AdminResult =
  | { readonly ok: true; readonly registry: Registry }
  | { readonly ok: false; readonly problems: readonly RegistryProblem[] }

const fail = (...problems: RegistryProblem[]): AdminResult => ({ ok: false, problems })

/**
 * Where in the registry a change lands, and what that part is called in the change: a problem
 * the whole-registry check finds at `zones[2].polygon` is the change's `zone.polygon`.
 */
function landing(registry: Registry, c: AdminChange): { at: string; as: string } | undefined {
  switch (c.op) {
    case 'set-city-target':
      return { at: 'city.dailyTargetT', as: 'dailyTargetT' }
    case 'set-recyclable-targets':
      return { at: 'targets.recyclablesMonthlyT', as: 'recyclablesMonthlyT' }
    case 'set-site':
      return { at: `sites[${registry.sites.findIndex((s) => s.id === c.siteId)}]`, as: '' }
    case 'put-zone':
      return { at: `zones[${(registry.zones ?? []).findIndex((z) => z.id === c.zone.id)}]`, as: 'zone' }
    case 'set-rules':
      return { at: 'rules', as: 'rules' }
    case 'delete-zone':
      return undefined
  }
}

/** `path` relative to `prefix` (`zones[2].polygon` under `zones[2]` → `.polygon`), or undefined. */
function under(path: string, prefix: string): string | undefined {
  if (path === prefix) return ''
  const rest = path.startsWith(prefix) ? path.slice(prefix.length) : undefined
  return rest !== undefined && (rest.startsWith('.') || rest.startsWith('[')) ? rest : undefined
}

function inChange(p: RegistryProblem, to: { at: string; as: string } | undefined): RegistryProblem {
  const rest = to ? under(p.path, to.at) : undefined
  if (rest === undefined || !to) return p
  const path = `${to.as}${rest}`
  return { path: path.startsWith('.') ? path.slice(1) : path, message: p.message }
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

function apply(registry: Registry, c: AdminChange): Registry | RegistryProblem {
  switch (c.op) {
    case 'set-city-target':
      return { ...registry, city: { ...registry.city, dailyTargetT: c.dailyTargetT } }
    case 'set-recyclable-targets': {
      const { recyclablesMonthlyT: _old, ...rest } = registry.targets ?? {}
      const targets =
        Object.keys(c.recyclablesMonthlyT).length > 0 ? { ...rest, recyclablesMonthlyT: c.recyclablesMonthlyT } : rest
      const next: Registry = { ...registry, targets }
      if (Object.keys(targets).length === 0) delete next.targets
      return next
    }
    case 'set-site': {
      const i = registry.sites.findIndex((s) => s.id === c.siteId)
      if (i < 0) return { path: 'siteId', message: `no site ${JSON.stringify(c.siteId)}` }
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
      if (!zones.some((z) => z.id === c.zoneId)) {
        return { path: 'zoneId', message: `no zone ${JSON.stringify(c.zoneId)}` }
      }
      return { ...registry, zones: zones.filter((z) => z.id !== c.zoneId) }
    }
    case 'set-rules': {
      const base = c.reset ? {} : (registry.rules ?? {})
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
  if (!parsed.success)
    return fail(...parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })))
  const next = apply(registry, parsed.data)
  if ('message' in next) return fail(next)
  const { registry: valid, problems } = validateRegistry(next)
  if (!valid) return fail(...problems.map((p) => inChange(p, landing(next, parsed.data))))
  return { ok: true, registry: valid }
}
