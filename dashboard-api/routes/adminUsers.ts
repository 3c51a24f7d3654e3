// Operator accounts, managed by admins: list (never a token or hash), add, disable/enable,
// change role, rotate. Changes go through the user store (auth/users.ts: read-modify-write of
// the file as it is now); a running node applies them at once — a disabled or re-keyed
// account's next request is 401 and its websockets are closed. A token is in the reply once;
// only its SHA-256 is stored (docs/architecture.md, decision 7). No change may leave the
// accounts without an enabled admin (auth/accounts.ts): 409 naming the field.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Logger } from 'pino'
import { z } from 'zod'
import { UserName, UserRole } from '../../contracts/users.ts'
import { RegistryLockedError } from '../../registry/errors.ts'
import type { User } from '../../contracts/users.ts'
import { changeAccount, rotateAccount } from '../auth/accounts.ts'
import type { UserStore } from '../auth/users.ts'
import { UsersError, addUser } from '../auth/usersFile.ts'
import { ApiError } from '../errors.ts'
import { errors } from './schemas.ts'

export interface AdminUsersOptions {
  readonly users: Pick<UserStore, 'edit' | 'list'>
  readonly log: Logger
  readonly now?: () => number
}

export const AdminUser = z.object({
  name: z.string(),
  role: UserRole,
  enabled: z.boolean(),
  createdAt: z.string()
})
const WithToken = z.object({
  user: AdminUser,
  token: z.string().describe('The bearer token (qyo_…), shown only in this reply')
})
const AddBody = z.strictObject({ name: UserName, role: UserRole })
const PatchBody = z
  .strictObject({ role: UserRole.optional(), enabled: z.boolean().optional() })
  .refine((b) => b.role !== undefined || b.enabled !== undefined, { error: 'set role, enabled or both' })
const Params = z.strictObject({ name: UserName })

const summary = (u: User) => ({ name: u.name, role: u.role, enabled: u.enabled, createdAt: u.createdAt })

/** A UsersError of a change → the API's error, naming `field` of the body where it is about one. */
function toApiError(err: unknown, field: string): unknown {
  if (err instanceof RegistryLockedError) {
    return new ApiError('API_E_UNAVAILABLE', err.message, { headers: { 'retry-after': '1' }, cause: err })
  }
  if (!(err instanceof UsersError)) return err
  const issue = (path: string) => ({ details: { issues: [{ in: 'body', path, message: err.message }] } })
  switch (err.code) {
    case 'USERS_E_UNKNOWN':
      return new ApiError('API_E_NOT_FOUND', err.message)
    case 'USERS_E_EXISTS': {
      // The file's message tells a shell user to revoke first; here the row's rotate does it.
      const message = 'an enabled account has this name; give it a new token with rotate instead'
      return new ApiError('API_E_CONFLICT', `body/name: ${message}`, {
        details: { issues: [{ in: 'body', path: 'name', message }] }
      })
    }
    case 'USERS_E_LAST_ADMIN':
      return new ApiError('API_E_CONFLICT', `body/${field}: ${err.message}`, issue(field))
    default:
      return err
  }
}

export const adminUserRoutes: FastifyPluginAsyncZod<AdminUsersOptions> = async (app, opts) => {
  const { users, now = Date.now } = opts
  const log = opts.log.child({ component: 'admin-users' })
  const admin = { minRole: 'admin' } as const
  const who = (req: { operator: { name: string } | undefined }): string => req.operator?.name ?? 'unknown'
  const run = async <T>(field: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (err) {
      throw toApiError(err, field)
    }
  }

  app.get(
    '/admin/users',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Operator accounts (names, roles, enabled; never a token)',
        response: { 200: z.array(AdminUser), ...errors() }
      }
    },
    async () => users.list()
  )

  app.post(
    '/admin/users',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Add an account (or re-issue a disabled one); its token is in this reply only',
        body: AddBody,
        response: { 201: WithToken, ...errors(400, 409, 503) }
      }
    },
    async (req, reply) => {
      const { name, role } = req.body
      const added = await run('name', () =>
        users.edit((current) => {
          const { file, token, user } = addUser(current, name, role, now())
          return { next: file, result: { token, user } }
        })
      )
      log.info({ operator: who(req), user: name, role }, 'operator account added')
      return reply.code(201).send({ user: summary(added.user), token: added.token })
    }
  )

  app.patch(
    '/admin/users/:name',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: "Change an account's role, or disable/enable it (its token then stops/starts working)",
        params: Params,
        body: PatchBody,
        response: { 200: AdminUser, ...errors(400, 404, 409, 503) }
      }
    },
    async (req) => {
      const { name } = req.params
      const field = req.body.enabled === false ? 'enabled' : 'role'
      const user = await run(field, () =>
        users.edit((current) => {
          const { file, user } = changeAccount(current, name, req.body)
          return { next: file, result: user }
        })
      )
      log.info({ operator: who(req), user: name, role: user.role, enabled: user.enabled }, 'operator account changed')
      return summary(user)
    }
  )

  app.post(
    '/admin/users/:name/rotate',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Issue a new token (and enable the account); the old one stops working',
        params: Params,
        response: { 200: WithToken, ...errors(400, 404, 503) }
      }
    },
    async (req) => {
      const { name } = req.params
      const rotated = await run('name', () =>
        users.edit((current) => {
          const { file, user, token } = rotateAccount(current, name)
          return { next: file, result: { user, token } }
        })
      )
      log.info({ operator: who(req), user: name }, 'operator token rotated')
      return { user: summary(rotated.user), token: rotated.token }
    }
  )
}
