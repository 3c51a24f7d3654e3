// Targets and rules, read and changed by admins. A change goes through the registry store's
// edit (registry/edit.ts: under the cross-process registry lock, on the file as it is now) with
// applyAdminChange (registry/admin.ts: the next registry or the problems, each with the path of
// the field); the store reloads it before the reply, so every component sees it. An invalid
// change saves nothing and comes back as API_E_VALIDATION with one issue per problem.
//
// PUT replaces the admin-editable settings of a resource (what GET returns can be PUT back);
// PATCH /admin/rules merges thresholds into the current ones.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Logger } from 'pino'
import { z } from 'zod'
import { Material } from '../../contracts/device/weighing.ts'
import { DEFAULT_CUTOFF, DEFAULT_TOLERANCE_T, HhMm, Id, Rules, Zone, resolveRules } from '../../contracts/registry.ts'
import type { AdminChange, Registry, RegistryProblem } from '../../contracts/registry.ts'
import { applyAdminChange } from '../../registry/admin.ts'
import { RegistryError, RegistryLockedError } from '../../registry/errors.ts'
import type { RegistryStore } from '../../registry/store.ts'
import { ApiError, type ValidationIssue, validationError } from '../errors.ts'
import { errors } from './schemas.ts'

export interface AdminRoutesOptions {
  readonly registry: RegistryStore
  /** The file `registry` edits (changes go through registry.edit, never to this path directly). */
  readonly registryPath: string
  readonly log: Logger
}

const RecyclableTargets = z
  .partialRecord(Material, z.number().positive())
  .describe('Recovered tonnes per calendar month, per material')

export const TargetsView = z.object({
  dailyTargetT: z.number().positive().describe('Household waste the city must collect and clear per day, tonnes'),
  recyclablesMonthlyT: RecyclableTargets
})
export type TargetsView = z.infer<typeof TargetsView>

export const SiteSettings = z.object({
  id: Id,
  name: z.string(),
  capacityTpd: z.number().positive(),
  toleranceT: z
    .number()
    .nonnegative()
    .nullable()
    .describe(`Stock at or below this counts as cleared; null: the default ${DEFAULT_TOLERANCE_T} t`),
  cutoff: HhMm.nullable().describe(
    `Local time by which the site should be cleared; null: the default ${DEFAULT_CUTOFF}`
  )
})
const SiteSettingsBody = z.strictObject({
  capacityTpd: z.number().positive(),
  toleranceT: SiteSettings.shape.toleranceT.optional(),
  cutoff: SiteSettings.shape.cutoff.optional()
})

const ResolvedRules = z.object({
  binNeedsServicePct: z.number(),
  binOverflowPct: z.number(),
  emptiedDropPct: z.number(),
  lateAfterMs: z.number(),
  offlineAfterMs: z.object({ weighbridge: z.number(), 'fill-sensor': z.number(), 'gps-tracker': z.number() }),
  lowBatteryPct: z.number(),
  vehicleMovingKmh: z.number(),
  defaultSpeedLimitKmh: z.number(),
  speedingTolerancePct: z.number(),
  offlineGroupMin: z.number()
})
export const RulesView = z.object({
  rules: Rules.describe('The overrides stored in the registry'),
  effective: ResolvedRules.describe('The overrides with every default filled in')
})

const ZoneBody = Zone.omit({ id: true }).describe('The zone; its id is the path parameter')
const ZoneParams = z.strictObject({ id: Id })

const targetsView = (r: Registry): TargetsView => ({
  dailyTargetT: r.city.dailyTargetT,
  recyclablesMonthlyT: r.targets?.recyclablesMonthlyT ?? {}
})
const rulesView = (r: Registry) => ({ rules: r.rules ?? {}, effective: resolveRules(r.rules) })
const siteSettings = (r: Registry) =>
  r.sites.map((s) => ({
    id: s.id,
    name: s.name,
    capacityTpd: s.capacityTpd,
    toleranceT: s.toleranceT ?? null,
    cutoff: s.cutoff ?? null
  }))

/**
 * A problem of registry/admin.ts, its path relative to the change (`zone.windows[1].from`) → an
 * issue naming the field of the request body (`windows.1.from`): the change's wrapper `strip`
 * (`zone`, `rules`) is dropped. A problem about a field the body does not hold keeps its path
 * in the message and names no field.
 */
export function toIssue(problem: RegistryProblem, strip: string, bodyKeys: readonly string[]): ValidationIssue {
  const { path, message } = problem
  const rel =
    strip === '' ? path : path === strip ? '' : path.startsWith(`${strip}.`) ? path.slice(strip.length + 1) : undefined
  const dotted = rel?.replace(/\[(\d+)\]/g, '.$1').replace(/^\./, '')
  if (dotted !== undefined && bodyKeys.includes(dotted.split('.')[0]!)) return { in: 'body', path: dotted, message }
  return { in: 'body', path: '', message: path ? `${path}: ${message}` : message }
}

export const adminRoutes: FastifyPluginAsyncZod<AdminRoutesOptions> = async (app, { registry, log }) => {
  /** `missing` answers 404 when what the route changes is not in the registry (read under the lock). */
  async function change(
    operator: string,
    body: object,
    changes: AdminChange[],
    strip = '',
    missing?: (r: Registry) => ApiError | undefined
  ): Promise<Registry> {
    try {
      const { registry: next } = await registry.edit((current) => {
        const notFound = missing?.(current)
        if (notFound) throw notFound
        let next = current
        for (const c of changes) {
          const result = applyAdminChange(next, c)
          if (!result.ok) return { problems: result.problems }
          next = result.registry
        }
        return next
      })
      log.info({ operator, ops: changes.map((c) => c.op) }, 'admin change saved')
      return next
    } catch (err) {
      // A RegistryError without a source is about the change; with one, the file itself is bad (a 500).
      if (err instanceof RegistryError && err.source === undefined) {
        throw validationError(err.problems.map((p) => toIssue(p, strip, Object.keys(body))))
      }
      if (err instanceof RegistryLockedError) {
        throw new ApiError('API_E_UNAVAILABLE', err.message, { headers: { 'retry-after': '1' }, cause: err })
      }
      throw err
    }
  }
  const admin = { minRole: 'admin' } as const
  const who = (req: { operator: { name: string } | undefined }): string => req.operator?.name ?? 'unknown'

  app.get(
    '/admin/targets',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: "The city's daily target and the monthly recyclable targets",
        response: { 200: TargetsView, ...errors() }
      }
    },
    async () => targetsView(registry.current())
  )

  app.put(
    '/admin/targets',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Replace the targets',
        body: TargetsView.strict(),
        response: { 200: TargetsView, ...errors(400) }
      }
    },
    async (req) => {
      const { dailyTargetT, recyclablesMonthlyT } = req.body
      const next = await change(who(req), req.body, [
        { op: 'set-city-target', dailyTargetT },
        { op: 'set-recyclable-targets', recyclablesMonthlyT }
      ])
      return targetsView(next)
    }
  )

  app.get(
    '/admin/sites',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Capacity, clearance tolerance and cut-off of every site',
        response: { 200: z.array(SiteSettings), ...errors() }
      }
    },
    async () => siteSettings(registry.current())
  )

  app.put(
    '/admin/sites/:id',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: "Replace one site's capacity, tolerance and cut-off (absent or null: the default)",
        params: z.strictObject({ id: Id }),
        body: SiteSettingsBody,
        response: { 200: SiteSettings, ...errors(400, 404) }
      }
    },
    async (req) => {
      const id = req.params.id
      const { capacityTpd, toleranceT = null, cutoff = null } = req.body
      const next = await change(
        who(req),
        req.body,
        [{ op: 'set-site', siteId: id, capacityTpd, toleranceT, cutoff }],
        '',
        (r) =>
          r.sites.some((s) => s.id === id)
            ? undefined
            : new ApiError('API_E_NOT_FOUND', `no site ${JSON.stringify(id)}`)
      )
      return siteSettings(next).find((s) => s.id === id)!
    }
  )

  app.get(
    '/admin/zones',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Zones with their vehicle time windows and speed limits',
        response: { 200: z.array(Zone), ...errors() }
      }
    },
    async () => registry.current().zones ?? []
  )

  app.put(
    '/admin/zones/:id',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Add a zone, or replace the zone with this id',
        params: ZoneParams,
        body: ZoneBody,
        response: { 200: Zone, ...errors(400) }
      }
    },
    async (req) => {
      const zone = { ...req.body, id: req.params.id }
      await change(who(req), req.body, [{ op: 'put-zone', zone }], 'zone')
      return zone
    }
  )

  app.delete(
    '/admin/zones/:id',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Delete a zone',
        params: ZoneParams,
        response: { 204: z.null().describe('Deleted'), ...errors(400, 404) }
      }
    },
    async (req, reply) => {
      const id = req.params.id
      await change(who(req), {}, [{ op: 'delete-zone', zoneId: id }], '', (r) =>
        r.zones?.some((z) => z.id === id) ? undefined : new ApiError('API_E_NOT_FOUND', `no zone ${JSON.stringify(id)}`)
      )
      return reply.code(204).send(null)
    }
  )

  app.get(
    '/admin/rules',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Thresholds of the operations model and alerts',
        response: { 200: RulesView, ...errors() }
      }
    },
    async () => rulesView(registry.current())
  )

  app.put(
    '/admin/rules',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Replace the threshold overrides (absent fields: the defaults)',
        body: Rules,
        response: { 200: RulesView, ...errors(400) }
      }
    },
    async (req) =>
      rulesView(await change(who(req), req.body, [{ op: 'set-rules', rules: req.body, reset: true }], 'rules'))
  )

  app.patch(
    '/admin/rules',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Merge threshold overrides into the current ones',
        body: Rules,
        response: { 200: RulesView, ...errors(400) }
      }
    },
    async (req) => rulesView(await change(who(req), req.body, [{ op: 'set-rules', rules: req.body }], 'rules'))
  )
}
