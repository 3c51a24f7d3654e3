// `qingyun registry sample|check`, and the first-start seeding used by `qingyun start`.
// Exit codes: 0 done (or valid), 1 invalid or unreadable registry, 2 bad arguments.
import type { Registry } from '../../contracts/registry.ts'
import { RegistryError, formatProblem } from '../../registry/errors.ts'
import { loadRegistry } from '../../registry/load.ts'
import { DEFAULT_SEED, writeSample } from '../../registry/sample/generate.ts'
import { parse, reportUsage, required, UsageError } from '../args.ts'
import type { CommandContext } from './devices.ts'

export { readCredentials, seedRegistry } from '../../registry/seed.ts'
export type { SeedOptions } from '../../registry/seed.ts'
export type { CommandContext } from './devices.ts'

const USAGE = `usage:
  qingyun registry sample [--seed N] --out FILE   write the synthetic Wuxi sample (seed ${DEFAULT_SEED} = the shipped one)
  qingyun registry check [FILE]                   validate a registry file (default: the configured one)`

function summary(r: Registry): string {
  return `${r.sites.length} sites, ${r.bins.length} bins, ${r.vehicles.length} vehicles, ${r.devices.length} devices, ${r.services.length} service accounts`
}

async function sample(ctx: CommandContext, args: string[]): Promise<number> {
  const cmd = 'registry sample'
  const { values, positionals } = parse(cmd, args, { seed: { type: 'string' }, out: { type: 'string' } })
  if (positionals.length > 0) throw new UsageError(`${cmd}: unexpected argument ${JSON.stringify(positionals[0])}`)
  const out = required(cmd, '--out FILE', values.out)
  const seed = values.seed === undefined ? DEFAULT_SEED : Number(values.seed)
  if (values.seed !== undefined && (!/^\d+$/.test(values.seed) || seed > 0xffffffff)) {
    throw new UsageError(`${cmd}: --seed ${JSON.stringify(values.seed)} must be an integer from 0 to 4294967295`)
  }
  const registry = await writeSample(out, seed)
  ctx.stderr.write(`wrote the synthetic sample for seed ${seed} to ${out}: ${summary(registry)}\n`)
  return 0
}

async function check(ctx: CommandContext, args: string[]): Promise<number> {
  const cmd = 'registry check'
  const { positionals } = parse(cmd, args)
  if (positionals.length > 1) throw new UsageError(`${cmd}: expected at most one FILE, got ${positionals.length}`)
  const path = positionals[0] ?? ctx.registryPath
  try {
    const registry = await loadRegistry(path)
    ctx.stdout.write(`${path}: valid: ${summary(registry)}\n`)
    return 0
  } catch (err) {
    if (!(err instanceof RegistryError)) throw err
    for (const p of err.problems) ctx.stdout.write(`${formatProblem(p, err.source)}\n`)
    ctx.stderr.write(`${path}: invalid\n`)
    return 1
  }
}

export async function registryCommand(args: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = args
  try {
    switch (sub) {
      case 'sample':
        return await sample(ctx, rest)
      case 'check':
        return await check(ctx, rest)
      default:
        throw new UsageError(
          sub === undefined
            ? 'registry: a subcommand is required'
            : `registry: unknown subcommand ${JSON.stringify(sub)}`
        )
    }
  } catch (err) {
    if (err instanceof UsageError) return reportUsage(ctx.stderr, err, USAGE)
    ctx.stderr.write(`${(err as Error).message}\n`)
    return 1
  }
}
