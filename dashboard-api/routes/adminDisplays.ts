// Wall displays (大屏) and their credentials, managed by admins: a display is a viewer account
// flagged `display` in the operator accounts file (contracts/users.ts), so the same guard and
// the same revocation path apply — a revoked display's next request gets 401 and its open
// websocket is closed 4401 as soon as the accounts change (ws/session.ts, recheck). The token
// is in the reply to POST only: only its SHA-256 is stored.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Logger } from 'pino'
import { z } from 'zod'
import { UserName } from '../../contracts/users.ts'
import { UsersError, type UserStore } from '../auth/users.ts'
import { ApiError, validationError } from '../errors.ts'
import { errors } from './schemas.ts'

export interface AdminDisplaysOptions {
  readonly users: Pick<UserStore, 'add' | 'revoke' | 'list'>
  readonly log: Logger
}

export const DisplayView = z.object({
  name: z.string(),
  enabled: z.boolean().describe('false once revoked: its token no longer works'),
  createdAt: z.string().describe('When its current token was issued (ISO 8601)')
})
export type DisplayView = z.infer<typeof DisplayView>

const DisplayCreated = DisplayView.extend({
  token: z.string().describe('The bearer token, shown only in this reply: open /#/wall?token=<token> on the screen')
})
const DisplayBody = z.strictObject({ name: UserName.describe('The screen, e.g. wall-ops-1') })
const DisplayParams = z.strictObject({ name: z.string().min(1).max(64) })

export const adminDisplaysRoutes: FastifyPluginAsyncZod<AdminDisplaysOptions> = async (app, { users, log }) => {
  const admin = { minRole: 'admin' } as const
  const displays = (): DisplayView[] =>
    users
      .list()
      .filter((u) => u.display)
      .map((u) => ({ name: u.name, enabled: u.enabled, createdAt: u.createdAt }))

  app.get(
    '/admin/displays',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Wall displays and whether their credential still works',
        response: { 200: z.array(DisplayView), ...errors() }
      }
    },
    async () => displays()
  )

  app.post(
    '/admin/displays',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Issue a wall display credential (a viewer token; shown once)',
        body: DisplayBody,
        response: { 201: DisplayCreated, ...errors(400) }
      }
    },
    async (req, reply) => {
      const { name } = req.body
      let token: string
      try {
        token = await users.add(name, 'viewer', { display: true })
      } catch (err) {
        if (err instanceof UsersError && err.code === 'USERS_E_EXISTS')
          throw validationError([{ in: 'body', path: 'name', message: err.message }])
        throw err
      }
      log.info({ operator: req.operator?.name, display: name }, 'display credential issued')
      const view = displays().find((d) => d.name === name)!
      return reply.code(201).send({ ...view, token })
    }
  )

  app.delete(
    '/admin/displays/:name',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Revoke a wall display: its requests get 401 and its websocket is closed',
        params: DisplayParams,
        response: { 200: DisplayView, ...errors(404) }
      }
    },
    async (req) => {
      const { name } = req.params
      try {
        await users.revoke(name, { display: true })
      } catch (err) {
        if (err instanceof UsersError && err.code === 'USERS_E_UNKNOWN')
          throw new ApiError('API_E_NOT_FOUND', `no display ${JSON.stringify(name)}`)
        throw err
      }
      log.info({ operator: req.operator?.name, display: name }, 'display credential revoked')
      return displays().find((d) => d.name === name)!
    }
  )
}
