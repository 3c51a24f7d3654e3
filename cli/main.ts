import { ConfigError, parseConfig } from '../lib/config.ts'
import type { CommandContext } from './commands/context.ts'
import { devicesCommand, servicesCommand } from './commands/devices.ts'
import { displaysCommand } from './commands/displays.ts'
import { registryCommand } from './commands/registry.ts'
import { reportCommand } from './commands/report.ts'
import { seedRegistry } from '../registry/seed.ts'
import { schemaCommand } from './commands/schema.ts'
import { simCommand } from './commands/sim.ts'
import { usersCommand } from './commands/users.ts'
import { startCommand } from './commands/start.ts'
import { SAMPLE_REGISTRY } from '../node/system.ts'
import path from 'node:path'

const USAGE = `qingyun — live telemetry for a city's waste collection and transfer

usage: qingyun <command> [options]

commands:
  start                         run the whole system (broker + ingest + dashboard-api; an embedded
                                InfluxDB when QINGYUN_INFLUX_URL is unset)
  schema --out DIR              write the wire contract as JSON Schema files and an AsyncAPI 3 document
  devices add ID --type weighbridge|fill-sensor|gps-tracker --site|--bin|--vehicle REF
                                register a device; prints its token once, as the last line of stdout
  devices revoke ID             disable a device and forget its token (a running broker drops it)
  devices list                  list devices
  services add ID | revoke ID   service accounts that may read internal topics (facts)
  users add NAME --role viewer|operator|admin
                                an operator account for dashboard-api; prints its bearer token once,
                                as the last line of stdout
  users revoke NAME | users list
  displays add NAME | displays revoke NAME | displays list
                                wall displays (大屏): a viewer token the screen keeps, printed once;
                                revoking signs the screen out within seconds
  sim city|verify|load|provision  the device simulator (qingyun sim help)
  registry sample --seed N --out FILE | registry check [FILE]
  report daily [--date D] --out F.xlsx | report monthly [--month YYYY-MM] --out F.xlsx
                                the operations report (日报 / 月报) from InfluxDB, .xlsx or .json
  help                          this text

configuration is by environment variables (QINGYUN_*); see README.md.
`

/** Entry point: returns the exit code. */
export async function main(
  argv: string[],
  ctx: CommandContext = { env: process.env, stdout: process.stdout, stderr: process.stderr }
): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'start':
        return await startCommand(rest, ctx)
      case 'schema':
        return await schemaCommand(rest, ctx)
      case 'devices':
      case 'services': {
        const config = parseConfig(ctx.env)
        if (config.registryIsDefault) {
          const credentialsPath = path.join(config.dataDir, 'device-credentials.json')
          await seedRegistry({
            samplePath: SAMPLE_REGISTRY,
            registryPath: config.registryPath,
            credentialsPath,
            lock: config.registryLock
          })
        }
        const run = command === 'devices' ? devicesCommand : servicesCommand
        const { registryPath, registryLock: lock } = config
        return await run(rest, { registryPath, lock, stdout: ctx.stdout, stderr: ctx.stderr })
      }
      case 'users':
        return await usersCommand(rest, {
          usersPath: parseConfig(ctx.env).usersPath,
          stdout: ctx.stdout,
          stderr: ctx.stderr
        })
      case 'displays':
        return await displaysCommand(rest, {
          usersPath: parseConfig(ctx.env).usersPath,
          stdout: ctx.stdout,
          stderr: ctx.stderr
        })
      case 'sim':
        return await simCommand(rest, ctx)
      case 'report':
        return await reportCommand(rest, ctx)
      case 'registry':
        return await registryCommand(rest, {
          registryPath: parseConfig(ctx.env).registryPath,
          stdout: ctx.stdout,
          stderr: ctx.stderr
        })
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        ctx.stdout.write(USAGE)
        return command === undefined ? 2 : 0
      default:
        ctx.stderr.write(`qingyun: unknown command "${command}"\n\n${USAGE}`)
        return 2
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      ctx.stderr.write(`qingyun: ${err.message}\n`)
      return 2
    }
    // Errors from our catalogs (REGISTRY_E_…, INFLUX_E_…) say what was wrong and where; a
    // stack trace would only bury that. Anything else is a bug: show the stack.
    const code = (err as { code?: unknown }).code
    const known = typeof code === 'string' && /^[A-Z]+_E_[A-Z_]+$/.test(code)
    ctx.stderr.write(
      `qingyun: ${known ? `${(err as Error).message} (${code})` : ((err as Error).stack ?? String(err))}\n`
    )
    return 1
  }
}
