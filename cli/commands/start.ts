import { parseArgs } from 'node:util'
import { startDemo } from '../../devices-sim/demo.ts'
import { parseConfig } from '../../lib/config.ts'
import { createLogger } from '../../lib/log.ts'
import { startSystem } from '../system.ts'
import type { CommandContext } from './context.ts'

const USAGE = 'usage: qingyun start [--demo [--speed N] [--date YYYY-MM-DD] [--seed N]]'

/**
 * `qingyun start`: the whole system in one process, until SIGINT/SIGTERM. With `--demo`, the
 * device simulator drives the sample city live against it and an operator token is printed.
 */
export async function startCommand(args: string[], ctx: CommandContext): Promise<number> {
  let flags
  try {
    flags = parseArgs({ args, strict: true, options: { demo: { type: 'boolean' }, speed: { type: 'string' }, date: { type: 'string' }, seed: { type: 'string' } } }).values
  } catch (err) {
    ctx.stderr.write(`qingyun start: ${(err as Error).message}\n${USAGE}\n`)
    return 2
  }
  const speed = flags.speed === undefined ? 60 : Number(flags.speed)
  const seed = flags.seed === undefined ? 1 : Number(flags.seed)
  if (!(speed > 0) || !Number.isInteger(seed) || (flags.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(flags.date))) {
    ctx.stderr.write(`qingyun start: --speed must be a positive number, --seed an integer, --date YYYY-MM-DD\n${USAGE}\n`)
    return 2
  }
  if (!flags.demo && (flags.speed ?? flags.date ?? flags.seed) !== undefined) {
    ctx.stderr.write(`qingyun start: --speed, --date and --seed go with --demo\n${USAGE}\n`)
    return 2
  }
  const config = parseConfig(ctx.env)
  const log = createLogger(config.logLevel)
  const system = await startSystem(config, log)
  let demo: { stop(): Promise<void> } | undefined
  let demoToken: string | undefined
  if (flags.demo) {
    if (!config.registryIsDefault) log.warn('--demo drives the devices of your registry with the tokens in the data dir\'s device-credentials.json')
    // A fresh operator token each demo start: only its hash is kept.
    if (system.users.list().some((u) => u.name === 'demo')) await system.users.revoke('demo')
    demoToken = await system.users.add('demo', 'operator')
    demo = await startDemo({
      mqttUrl: `mqtt://127.0.0.1:${system.broker.mqttPort}`,
      credentialsPath: system.credentialsPath,
      registry: system.registry.current(),
      speed,
      seed,
      ...(flags.date ? { date: flags.date } : {}),
      log: log.child({ component: 'demo' })
    })
  }
  const host = config.bindHost === '0.0.0.0' || config.bindHost === '::' ? '127.0.0.1' : config.bindHost
  const scheme = config.tls ? 'mqtts' : 'mqtt'
  ctx.stderr.write(
    [
      '',
      'Qingyun (清运) is running.',
      `  MQTT              ${scheme}://${host}:${system.broker.mqttPort}`,
      system.broker.wsPort === null ? '' : `  MQTT over WS      ${config.tls ? 'wss' : 'ws'}://${host}:${system.broker.wsPort}`,
      `  operations page   http://${host}:${system.httpPort}/`,
      `  REST + OpenAPI    http://${host}:${system.httpPort}/api/v1  (docs: /docs; websocket: /api/v1/ws; /healthz, /readyz)`,
      `  InfluxDB          ${system.influx.url}  database ${config.influx.db}`,
      `  data dir          ${config.dataDir}`,
      `  registry          ${config.registryPath}`,
      config.registryIsDefault ? `  device tokens     ${system.credentialsPath} (sample devices; keep private)` : '',
      demoToken ? `  demo              simulating the city at ${speed}× from local midnight; sign in with this operator token:` : '',
      demoToken ? `                    ${demoToken}` : '  operator tokens   qingyun users add NAME --role viewer|operator|admin',
      '  Stop with Ctrl-C.',
      ''
    ]
      .filter((l) => l !== '')
      .join('\n') + '\n'
  )
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  // A second Ctrl-C, or a stop that takes too long, ends the process at once; everything
  // acknowledged is already in InfluxDB, so nothing acknowledged is lost either way.
  const force = (why: string) => (): void => {
    log.error({ why }, 'stopping at once')
    process.exit(1)
  }
  process.once('SIGINT', force('second signal'))
  process.once('SIGTERM', force('second signal'))
  setTimeout(force('stop took longer than 30 s'), 30_000).unref()
  log.info('stopping')
  await demo?.stop()
  await system.stop()
  return 0
}
