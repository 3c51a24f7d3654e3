// Devices, managed by admins: list (with last seen from the live model), add, revoke, rotate.
// Every change is a registry edit (registry/edit.ts: under the cross-process registry lock, on
// the file as it is now), with the same pure changes `qingyun devices` makes
// (registry/credentials.ts), so a page and a shell racing each other lose nothing. The store
// reloads before the reply; the broker then cuts a revoked or re-keyed device's session and
// refuses its next CONNECT (broker/hooks.ts). A token is in the reply once; only its SHA-256 is
// stored (docs/architecture.md, decision 7).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Logger } from 'pino'
import { z } from 'zod'
import { DeviceType, Id, REF_FIELD_BY_DEVICE_TYPE, REF_FIELDS, deviceRef } from '../../contracts/registry.ts'
import type { Device, RefField, Registry, RegistryProblem } from '../../contracts/registry.ts'
import { withCredential, withDevice } from '../../registry/credentials.ts'
import type { EditOutcome } from '../../registry/edit.ts'
import { RegistryError, RegistryLockedError } from '../../registry/errors.ts'
import type { RegistryStore } from '../../registry/store.ts'
import { DEVICE_TOKEN_PREFIX, generateToken, hashToken } from '../../registry/tokens.ts'
import { ApiError, type ValidationIssue, validationError } from '../errors.ts'
import type { Model } from '../model/types.ts'
import { errors } from './schemas.ts'

export interface AdminDevicesOptions {
  readonly registry: RegistryStore
  readonly model: Pick<Model, 'devices'>
  readonly log: Logger
}

export const AdminDevice = z.object({
  id: z.string(),
  type: DeviceType,
  /** Which field attaches it (siteId, binId, vehicleId) and to what, with that entry's name. */
  refField: z.enum(['siteId', 'binId', 'vehicleId']).nullable(),
  refId: z.string().nullable(),
  refName: z.string().nullable().describe("The site's name, the vehicle's plate, the bin's id"),
  district: z.string().nullable(),
  enabled: z.boolean(),
  hasToken: z.boolean().describe('False after a revoke: only a rotate lets it connect again'),
  lastSeenAt: z.number().nullable().describe('Epoch ms of its latest message today (the live model)'),
  offline: z.boolean().nullable()
})
export type AdminDevice = z.infer<typeof AdminDevice>

const WithToken = z.object({
  device: AdminDevice,
  token: z.string().describe('The device token (MQTT password), shown only in this reply')
})

const AddBody = z.strictObject({
  id: Id,
  type: DeviceType,
  siteId: Id.optional(),
  binId: Id.optional(),
  vehicleId: Id.optional()
})

const Attachable = z.object({
  sites: z.array(z.object({ id: z.string(), name: z.string(), district: z.string() })),
  bins: z.array(z.object({ id: z.string(), district: z.string() })),
  vehicles: z.array(z.object({ id: z.string(), plate: z.string(), district: z.string() }))
})

const Params = z.strictObject({ id: Id })

/** A page of the list: a registry may hold 100,000 load devices (`qingyun sim provision`). */
export const DEVICES_PAGE_MAX = 500
const ListQuery = z.strictObject({
  q: z
    .string()
    .max(64)
    .optional()
    .describe("Words that must all appear in the id, the ref's id, its name or its district"),
  type: DeviceType.optional(),
  siteId: Id.optional().describe('Only the devices attached to this site'),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(DEVICES_PAGE_MAX).default(200)
})
const DevicePage = z.object({
  total: z.number().int().describe('Devices that match, on every page'),
  offset: z.number().int(),
  devices: z.array(AdminDevice).describe('At most `limit`, sorted by id')
})

const words = (q: string | undefined): string[] => (q ?? '').trim().toLowerCase().split(/\s+/).filter(Boolean)
function matchesWords(d: AdminDevice, ws: readonly string[]): boolean {
  if (ws.length === 0) return true
  const hay = [d.id, d.refId ?? '', d.refName ?? '', d.district ?? ''].join(' ').toLowerCase()
  return ws.every((w) => hay.includes(w))
}

function describe(r: Registry, d: Device, seen: ReturnType<Model['devices']>[number] | undefined): AdminDevice {
  const ref = deviceRef(d)
  const site = ref?.field === 'siteId' ? r.sites.find((s) => s.id === ref.id) : undefined
  const bin = ref?.field === 'binId' ? r.bins.find((b) => b.id === ref.id) : undefined
  const vehicle = ref?.field === 'vehicleId' ? r.vehicles.find((v) => v.id === ref.id) : undefined
  return {
    id: d.id,
    type: d.type,
    refField: ref?.field ?? null,
    refId: ref?.id ?? null,
    refName: site?.name ?? vehicle?.plate ?? bin?.id ?? null,
    district: site?.district ?? bin?.district ?? vehicle?.district ?? null,
    enabled: d.enabled,
    hasToken: d.tokenHash !== undefined,
    lastSeenAt: seen?.lastSeenAt ?? null,
    offline: seen ? seen.offline : null
  }
}

/** `devices[7].siteId` of the device being added (index `at`) → the body's `siteId`. */
function addIssue(p: RegistryProblem, at: number): ValidationIssue {
  const prefix = `devices[${at}].`
  const field = p.path.startsWith(prefix) ? p.path.slice(prefix.length) : ''
  return field
    ? { in: 'body', path: field, message: p.message }
    : { in: 'body', path: '', message: `${p.path}: ${p.message}` }
}

/** The ref field the type needs, and any the body sets that it must not; each problem names its field. */
function refProblems(body: z.infer<typeof AddBody>): ValidationIssue[] {
  const wanted = REF_FIELD_BY_DEVICE_TYPE[body.type]
  const issues: ValidationIssue[] = REF_FIELDS.filter((f) => f !== wanted && body[f] !== undefined).map((f) => ({
    in: 'body',
    path: f,
    message: `a ${body.type} is attached with ${wanted}, not ${f}`
  }))
  if (body[wanted] === undefined) issues.push({ in: 'body', path: wanted, message: `required for a ${body.type}` })
  return issues
}

export const adminDeviceRoutes: FastifyPluginAsyncZod<AdminDevicesOptions> = async (app, { registry, model, log }) => {
  const admin = { minRole: 'admin' } as const
  const who = (req: { operator: { name: string } | undefined }): string => req.operator?.name ?? 'unknown'

  const view = (id: string): AdminDevice => {
    const r = registry.current()
    const d = r.devices.find((x) => x.id === id)
    if (!d) throw new ApiError('API_E_NOT_FOUND', `no device ${JSON.stringify(id)}`)
    return describe(
      r,
      d,
      model.devices().find((s) => s.deviceId === id)
    )
  }

  /** A registry edit; its problems (none expected but an unknown id) as `onProblems` says. */
  async function edit(
    change: (current: Registry) => EditOutcome,
    onProblems: (problems: readonly RegistryProblem[]) => ApiError
  ): Promise<void> {
    try {
      await registry.edit(change)
    } catch (err) {
      if (err instanceof RegistryError && err.source === undefined) throw onProblems(err.problems)
      if (err instanceof RegistryLockedError) {
        throw new ApiError('API_E_UNAVAILABLE', err.message, { headers: { 'retry-after': '1' }, cause: err })
      }
      throw err
    }
  }
  const notFound = (id: string) => () => new ApiError('API_E_NOT_FOUND', `no device ${JSON.stringify(id)}`)

  app.get(
    '/admin/devices',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Registered devices, a page at a time: attached to, enabled, token set, last seen',
        querystring: ListQuery,
        response: { 200: DevicePage, ...errors(400) }
      }
    },
    async (req) => {
      const { q, type, siteId, offset, limit } = req.query
      const r = registry.current()
      const seen = new Map(model.devices().map((d) => [d.deviceId, d]))
      const ws = words(q)
      const all = r.devices
        .filter((d) => (!type || d.type === type) && (!siteId || d.siteId === siteId))
        .map((d) => describe(r, d, seen.get(d.id)))
        .filter((d) => matchesWords(d, ws))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      return { total: all.length, offset, devices: all.slice(offset, offset + limit) }
    }
  )

  app.get(
    '/admin/devices/attachable',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'The sites, bins and vehicles a new device can be attached to',
        response: { 200: Attachable, ...errors() }
      }
    },
    async () => {
      const r = registry.current()
      return {
        sites: r.sites.map((s) => ({ id: s.id, name: s.name, district: s.district })),
        bins: r.bins.map((b) => ({ id: b.id, district: b.district })),
        vehicles: r.vehicles.map((v) => ({ id: v.id, plate: v.plate, district: v.district }))
      }
    }
  )

  app.post(
    '/admin/devices',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Register a device; its token is in this reply only',
        body: AddBody,
        response: { 201: WithToken, ...errors(400, 409, 503) }
      }
    },
    async (req, reply) => {
      const body = req.body
      const issues = refProblems(body)
      if (issues.length > 0) throw validationError(issues)
      const field: RefField = REF_FIELD_BY_DEVICE_TYPE[body.type]
      const token = generateToken(DEVICE_TOKEN_PREFIX)
      const device: Device = {
        id: body.id,
        type: body.type,
        [field]: body[field],
        tokenHash: hashToken(token),
        enabled: true
      }
      let at = -1
      await edit(
        (current) => {
          // Devices and services share one namespace (MQTT usernames): a taken id is a conflict.
          if (current.devices.some((d) => d.id === body.id) || current.services.some((s) => s.id === body.id)) {
            throw new ApiError('API_E_CONFLICT', `body/id: ${JSON.stringify(body.id)} is already registered`, {
              details: { issues: [{ in: 'body', path: 'id', message: 'already registered' }] }
            })
          }
          at = current.devices.length
          return withDevice(current, device)
        },
        (problems) => validationError(problems.map((p) => addIssue(p, at)))
      )
      log.info({ operator: who(req), deviceId: body.id, type: body.type }, 'device added')
      return reply.code(201).send({ device: view(body.id), token })
    }
  )

  app.post(
    '/admin/devices/:id/revoke',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Disable a device and delete its token hash: its session is cut, its CONNECTs refused',
        params: Params,
        response: { 200: AdminDevice, ...errors(400, 404, 503) }
      }
    },
    async (req) => {
      const { id } = req.params
      await edit((current) => withCredential(current, 'devices', id, null), notFound(id))
      log.info({ operator: who(req), deviceId: id }, 'device revoked')
      return view(id)
    }
  )

  app.post(
    '/admin/devices/:id/rotate',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Issue a new token (and enable the device); the old one stops working',
        params: Params,
        response: { 200: WithToken, ...errors(400, 404, 503) }
      }
    },
    async (req) => {
      const { id } = req.params
      const token = generateToken(DEVICE_TOKEN_PREFIX)
      await edit((current) => withCredential(current, 'devices', id, hashToken(token)), notFound(id))
      log.info({ operator: who(req), deviceId: id }, 'device token rotated')
      return { device: view(id), token }
    }
  )
}
