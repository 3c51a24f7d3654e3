import { parseConfig } from '../../lib/config.ts'
import { createLogger } from '../../lib/log.ts'
import { startSystem } from '../system.ts'
import type { CommandContext } from './context.ts'

/** `qingyun start`: the whole system in one process, until SIGINT/SIGTERM. */
export async function startCommand(args: string[], ctx: CommandContext): Promise<number> {
  if (args.length > 0) {
    ctx.stderr.write(`qingyun start: unexpected argument ${args[0]}\n`)
    return 2
  }
  const config = parseConfig(ctx.env)
  const log = createLogger(config.logLevel)
  const system = await startSystem(config, log)
  const host = config.bindHost === '0.0.0.0' || config.bindHost === '::' ? '127.0.0.1' : config.bindHost
  const scheme = config.tls ? 'mqtts' : 'mqtt'
  ctx.stderr.write(
    [
      '',
      'Qingyun (清运) is running.',
      `  MQTT              ${scheme}://${host}:${system.broker.mqttPort}`,
      system.broker.wsPort === null ? '' : `  MQTT over WS      ${config.tls ? 'wss' : 'ws'}://${host}:${system.broker.wsPort}`,
      `  dashboard-api     http://${host}:${system.httpPort}   (/healthz, /readyz, ws://${host}:${system.httpPort}/ws)`,
      `  InfluxDB          ${system.influx.url}  database ${config.influx.db}`,
      `  data dir          ${config.dataDir}`,
      `  registry          ${config.registryPath}`,
      config.registryIsDefault ? `  device tokens     ${system.credentialsPath} (sample devices; keep private)` : '',
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
  log.info('stopping')
  await system.stop()
  return 0
}
