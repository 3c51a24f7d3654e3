// The management pages' writes to /api/v1/admin (dashboard-api/routes/admin.ts). A refused
// change keeps the server's issues (API_E_VALIDATION: one per problem, `path` dotted in the
// request body: `capacityTpd`, `recyclablesMonthlyT.steel`, `windows.1.from`), so a form shows
// each message beside the field it names; nothing is checked here that the server checks.
import type { Material } from '../../../../contracts/device/weighing.ts'
import type { VehicleType } from '../../../../contracts/registryEntities.ts'
import type { ResolvedRules, Rules } from '../../../../contracts/registryRules.ts'

// The admin REST's shapes (dashboard-api/routes/admin.ts, which the page does not import).
export interface TargetsView {
  dailyTargetT: number
  recyclablesMonthlyT: Partial<Record<Material, number>>
}
export interface SiteSettings {
  id: string
  name: string
  capacityTpd: number
  toleranceT: number | null
  cutoff: string | null
}
export interface RulesView {
  rules: Rules
  effective: Partial<ResolvedRules>
}

export interface Issue {
  in: string
  path: string
  message: string
}

export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: readonly Issue[]
  ) {
    super(message)
  }
}

export type AdminApi = ReturnType<typeof createAdminApi>

export function createAdminApi(token: string, onUnauthorized: () => void) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the caller names the shape
  const send = async <T = any>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(`/api/v1/admin${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    if (res.status === 401) onUnauthorized()
    if (res.status === 204) return undefined as T
    const text = await res.text()
    let json: unknown
    try {
      json = text ? JSON.parse(text) : undefined
    } catch {
      json = undefined
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string; details?: { issues?: Issue[] } } })?.error
      const issues = Array.isArray(e?.details?.issues) ? e.details.issues : []
      throw new AdminError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? res.statusText, issues)
    }
    return json as T
  }
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the caller names the shape
    get: <T = any>(path: string) => send<T>('GET', path),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the caller names the shape
    put: <T = any>(path: string, body: unknown) => send<T>('PUT', path, body),
    del: (path: string) => send<void>('DELETE', path)
  }
}

/**
 * The issues of a refused change by field path (`''`: the change as a whole, and messages of
 * any other error). A path with no field of its own on the form is shown with the form's.
 */
export function fieldErrors(err: unknown, fields?: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  const add = (k: string, m: string): void => {
    out[k] = out[k] ? `${out[k]}; ${m}` : m
  }
  if (!(err instanceof AdminError)) {
    add('', err instanceof Error ? err.message : String(err))
    return out
  }
  if (err.issues.length === 0) add('', err.message)
  for (const i of err.issues) {
    if (i.path === '' || (fields && !fields.includes(i.path))) add('', i.path ? `${i.path}: ${i.message}` : i.message)
    else add(i.path, i.message)
  }
  return out
}

/** An input's text as the number to send: empty → undefined (the default); anything else as typed. */
export const numberOrUndefined = (s: string | number | null | undefined): number | undefined => {
  if (s === null || s === undefined) return undefined
  const str = String(s).trim()
  return str === '' ? undefined : Number(str)
}

// The wire's enums, spelled out for the page (contracts are imported as types only); the
// `satisfies` and the checks below fail the type check when the contract gains a value.
export const MATERIALS = [
  'steel',
  'copper',
  'aluminium',
  'lead',
  'zinc',
  'paper',
  'plastic',
  'rubber',
  'glass',
  'textile',
  'wood',
  'e-waste',
  'battery',
  'other'
] as const satisfies readonly Material[]
export const VEHICLE_TYPES = [
  'compactor',
  'kitchen',
  'recyclable',
  'hazardous',
  'bulky',
  'transfer'
] as const satisfies readonly VehicleType[]
type Exhaustive<T extends never> = T
export type MaterialsComplete = Exhaustive<Exclude<Material, (typeof MATERIALS)[number]>>
export type VehicleTypesComplete = Exhaustive<Exclude<VehicleType, (typeof VEHICLE_TYPES)[number]>>
