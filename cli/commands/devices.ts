// `qingyun devices ...` and `qingyun services ...`: register credentials, revoke them, list them.
// A new token is printed once, alone on the last line of stdout (so `| tail -n1` captures it);
// only its SHA-256 is stored. Every change goes through editRegistry (registry/edit.ts): under the
// registry lock, on the file as it is now, validated as a whole — a `devices add` racing an admin
// change or another `devices add` loses neither. Exit codes: 0 done; 1 the registry refused the
// change (its problems on stderr, one `path: message` per line), was locked too long, or could not
// be read or written; 2 bad arguments.
import { DEVICE_TYPES, DeviceType, REF_FIELD_BY_DEVICE_TYPE, deviceRef } from '../../contracts/registry.ts'
import type { Device, RefField } from '../../contracts/registry.ts'
import { withCredential, withDevice } from '../../registry/credentials.ts'
import { editRegistry } from '../../registry/edit.ts'
import { RegistryError, formatProblem } from '../../registry/errors.ts'
import { loadRegistry } from '../../registry/load.ts'
import type { LockOptions } from '../../registry/lock.ts'
import { DEVICE_TOKEN_PREFIX, SERVICE_TOKEN_PREFIX, generateToken, hashToken } from '../../registry/tokens.ts'
import { oneId, parse, reportUsage, UsageError } from '../args.ts'

export interface CommandContext {
  registryPath: string
  /** Bounds of the registry lock (QINGYUN_REGISTRY_LOCK_*); the defaults when absent. */
  lock?: LockOptions
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

const DEVICES_USAGE = `usage:
  qingyun devices add ID --type weighbridge|fill-sensor|gps-tracker (--site ID | --bin ID | --vehicle ID)
  qingyun devices rotate ID     issue a new token (and enable the device)
  qingyun devices revoke ID     disable the device and delete its token hash
  qingyun devices list`

const SERVICES_USAGE = `usage:
  qingyun services add ID       a service account that may read internal topics
  qingyun services rotate ID
  qingyun services revoke ID
  qingyun services list`

const FLAG_BY_REF: Record<RefField, string> = { siteId: '--site', binId: '--bin', vehicleId: '--vehicle' }

function line(stream: NodeJS.WritableStream, text: string): void {
  stream.write(`${text}\n`)
}

/** Runs a command body, turning the known failures into a message and an exit code. */
async function run(ctx: CommandContext, usage: string, body: () => Promise<void>): Promise<number> {
  try {
    await body()
    return 0
  } catch (err) {
    if (err instanceof UsageError) return reportUsage(ctx.stderr, err, usage)
    if (err instanceof RegistryError) {
      const head = err.source === undefined ? 'the registry refused the change:' : `${err.source}: invalid registry:`
      line(ctx.stderr, head)
      for (const p of err.problems) line(ctx.stderr, formatProblem(p))
      return 1
    }
    const code = (err as { code?: unknown }).code
    line(ctx.stderr, typeof code === 'string' ? `${(err as Error).message} (${code})` : (err as Error).message)
    return 1
  }
}

async function addDevice(ctx: CommandContext, args: string[]): Promise<void> {
  const cmd = 'devices add'
  const { values, positionals } = parse(cmd, args, {
    type: { type: 'string' },
    site: { type: 'string' },
    bin: { type: 'string' },
    vehicle: { type: 'string' }
  })
  const id = oneId(cmd, positionals)
  if (values.type === undefined) throw new UsageError(`${cmd}: --type is required (${DEVICE_TYPES.join('|')})`)
  const type = DeviceType.safeParse(values.type)
  if (!type.success)
    throw new UsageError(`${cmd}: --type ${JSON.stringify(values.type)} is not one of ${DEVICE_TYPES.join('|')}`)
  const wanted = REF_FIELD_BY_DEVICE_TYPE[type.data]
  const refs: Record<RefField, string | undefined> = {
    siteId: values.site,
    binId: values.bin,
    vehicleId: values.vehicle
  }
  const wrong = (Object.keys(refs) as RefField[]).find((f) => f !== wanted && refs[f] !== undefined)
  if (wrong)
    throw new UsageError(`${cmd}: a ${type.data} is attached with ${FLAG_BY_REF[wanted]}, not ${FLAG_BY_REF[wrong]}`)
  const ref = refs[wanted]
  if (ref === undefined) throw new UsageError(`${cmd}: ${FLAG_BY_REF[wanted]} ID is required for a ${type.data}`)

  // A taken id or a missing site/bin/vehicle is found by the registry's own cross-checks, on
  // the file as it is under the lock.
  const token = generateToken(DEVICE_TOKEN_PREFIX)
  const device: Device = { id, type: type.data, [wanted]: ref, tokenHash: hashToken(token), enabled: true }
  await editRegistry(ctx.registryPath, (r) => withDevice(r, device), ctx.lock)
  line(
    ctx.stderr,
    `added ${type.data} ${JSON.stringify(id)} (${wanted} ${JSON.stringify(ref)}); its token follows, shown only this once: only its hash is stored`
  )
  line(ctx.stdout, token)
}

async function addService(ctx: CommandContext, args: string[]): Promise<void> {
  const cmd = 'services add'
  const id = oneId(cmd, parse(cmd, args).positionals)
  const token = generateToken(SERVICE_TOKEN_PREFIX)
  const service = { id, tokenHash: hashToken(token), enabled: true }
  await editRegistry(ctx.registryPath, (r) => ({ ...r, services: [...r.services, service] }), ctx.lock)
  line(
    ctx.stderr,
    `added service account ${JSON.stringify(id)}; its token follows, shown only this once: only its hash is stored`
  )
  line(ctx.stdout, token)
}

type Collection = 'devices' | 'services'

/** `rotate` issues a new token and enables; `revoke` disables and forgets the hash. */
async function setCredential(
  ctx: CommandContext,
  collection: Collection,
  action: 'rotate' | 'revoke',
  args: string[]
): Promise<void> {
  const cmd = `${collection} ${action}`
  const id = oneId(cmd, parse(cmd, args).positionals)
  const token =
    action === 'rotate'
      ? generateToken(collection === 'devices' ? DEVICE_TOKEN_PREFIX : SERVICE_TOKEN_PREFIX)
      : undefined
  await editRegistry(
    ctx.registryPath,
    (registry) => withCredential(registry, collection, id, token ? hashToken(token) : null),
    ctx.lock
  )
  if (token) {
    line(
      ctx.stderr,
      `issued a new token for ${JSON.stringify(id)} (the old one no longer works); shown only this once: only its hash is stored`
    )
    line(ctx.stdout, token)
  } else {
    line(ctx.stderr, `revoked ${JSON.stringify(id)}: disabled and its token hash deleted`)
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  return rows
    .map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  '))
    .join('\n')
}

async function list(ctx: CommandContext, collection: Collection, args: string[]): Promise<void> {
  const cmd = `${collection} list`
  const { positionals } = parse(cmd, args)
  if (positionals.length > 0) throw new UsageError(`${cmd}: unexpected argument ${JSON.stringify(positionals[0])}`)
  const registry = await loadRegistry(ctx.registryPath)
  const yesNo = (b: boolean) => (b ? 'yes' : 'no')
  const rows =
    collection === 'devices'
      ? [
          ['ID', 'TYPE', 'REF', 'ENABLED', 'TOKEN'],
          ...registry.devices.map((d) => {
            const ref = deviceRef(d)
            return [
              d.id,
              d.type,
              ref ? `${ref.field.replace('Id', '')}:${ref.id}` : '-',
              yesNo(d.enabled),
              yesNo(d.tokenHash !== undefined)
            ]
          })
        ]
      : [
          ['ID', 'ENABLED', 'TOKEN'],
          ...registry.services.map((s) => [s.id, yesNo(s.enabled), yesNo(s.tokenHash !== undefined)])
        ]
  line(ctx.stdout, table(rows))
}

export async function devicesCommand(args: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = args
  return run(ctx, DEVICES_USAGE, async () => {
    switch (sub) {
      case 'add':
        return addDevice(ctx, rest)
      case 'rotate':
      case 'revoke':
        return setCredential(ctx, 'devices', sub, rest)
      case 'list':
        return list(ctx, 'devices', rest)
      default:
        throw new UsageError(
          sub === undefined ? 'devices: a subcommand is required' : `devices: unknown subcommand ${JSON.stringify(sub)}`
        )
    }
  })
}

export async function servicesCommand(args: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = args
  return run(ctx, SERVICES_USAGE, async () => {
    switch (sub) {
      case 'add':
        return addService(ctx, rest)
      case 'rotate':
      case 'revoke':
        return setCredential(ctx, 'services', sub, rest)
      case 'list':
        return list(ctx, 'services', rest)
      default:
        throw new UsageError(
          sub === undefined
            ? 'services: a subcommand is required'
            : `services: unknown subcommand ${JSON.stringify(sub)}`
        )
    }
  })
}
