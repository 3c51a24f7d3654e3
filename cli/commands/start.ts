import { mkdir } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { createDemoClock, demoClockStart, startDemo, type DemoClock } from '../../devices-sim/demo.ts'
import { parseConfig } from '../../lib/config.ts'
import { localDate } from '../../lib/time.ts'
import { createLogger } from '../../lib/log.ts'
import { checkPorts, EXIT, installGuards, lockDataDir, portInUseMessage, watchParent } from '../lifecycle.ts'
import { applyHeapGrowing, semiSpaceGiven } from '../../node/heap.ts'
import { startSystem, type System } from '../../node/system.ts'
import type { CommandContext } from './context.ts'
import { besideHint } from './besideHint.ts'

const USAGE = 'usage: qingyun start [--demo [--speed N] [--date YYYY-MM-DD] [--seed N]]'

/**
 * `qingyun start`: the whole system in one process, until SIGINT/SIGTERM. With `--demo`, the
 * device simulator drives the sample city live against it and an operator token is printed.
 * Exit codes: 0 stopped on request, 1 could not start or stopped by a fatal error, 2 bad usage
 * or configuration.
 */
export async function startCommand(args: string[], ctx: CommandContext): Promise<number> {
  let flags
  try {
    flags = parseArgs({
      args,
      strict: true,
      options: {
        demo: { type: 'boolean' },
        speed: { type: 'string' },
        date: { type: 'string' },
        seed: { type: 'string' }
      }
    }).values
  } catch (err) {
    ctx.stderr.write(`qingyun start: ${(err as Error).message}\n${USAGE}\n`)
    return 2
  }
  const speed = flags.speed === undefined ? 60 : Number(flags.speed)
  const seed = flags.seed === undefined ? 1 : Number(flags.seed)
  if (
    !(speed > 0) ||
    !Number.isInteger(seed) ||
    (flags.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(flags.date))
  ) {
    ctx.stderr.write(
      `qingyun start: --speed must be a positive number, --seed an integer, --date YYYY-MM-DD\n${USAGE}\n`
    )
    return 2
  }
  if (!flags.demo && (flags.speed ?? flags.date ?? flags.seed) !== undefined) {
    ctx.stderr.write(`qingyun start: --speed, --date and --seed go with --demo\n${USAGE}\n`)
    return 2
  }
  const { demo: wantDemo, date: demoDate } = flags
  const config = parseConfig(ctx.env)
  const log = createLogger(config.logLevel, undefined, { pretty: process.stdout.isTTY === true })
  const heapGrowing = applyHeapGrowing(config.heapGrowingPercent)
  log.debug({ heapGrowingPercent: heapGrowing ?? "V8's own" }, 'V8 heap growth between full collections')
  const semiSpace = semiSpaceGiven()
  if (semiSpace === undefined)
    log.warn(
      { hint: `node --max-semi-space-size=${config.semiSpaceMiB} bin/qingyun.mjs start` },
      "started without --max-semi-space-size: V8's small default young generation costs the node about a third of its ack rate under load (npm start and the Docker image set it; README, Running in production)"
    )
  else if (ctx.env['QINGYUN_SEMI_SPACE_MIB'] !== undefined && semiSpace !== config.semiSpaceMiB)
    log.warn(
      { semiSpaceMiB: semiSpace, QINGYUN_SEMI_SPACE_MIB: config.semiSpaceMiB },
      'started with another --max-semi-space-size than QINGYUN_SEMI_SPACE_MIB: V8 takes the young generation from the node flag only (npm start and the Docker image pass the variable as that flag)'
    )
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  const lock = await lockDataDir(config.dataDir)
  if ('held' in lock) {
    ctx.stderr.write(`qingyun start: ${lock.held}\n`)
    return EXIT.failed
  }
  // However the process ends, a later start must not find this lock "held".
  process.once('exit', lock.releaseSync)
  const ports = [
    ['QINGYUN_MQTT_PORT', config.mqttPort],
    ['QINGYUN_MQTT_WS_PORT', config.mqttWsPort],
    ['QINGYUN_HTTP_PORT', config.httpPort]
  ] as const
  const busy = await checkPorts(config.bindHost, ports)
  if (busy !== undefined) {
    ctx.stderr.write(`qingyun start: ${busy}\n`)
    await lock.release()
    return EXIT.failed
  }

  // One way down for every reason to stop: a signal, the parent gone, a fatal error.
  let system: System | undefined
  let demo: { stop(): Promise<void> } | undefined
  let stopping: Promise<void> | undefined
  let requested: (() => void) | undefined
  const stopped = new Promise<void>((resolve) => {
    requested = resolve
  })
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      log.info('stopping')
      await demo?.stop()
      await system?.stop()
      await lock.release()
    })()
    return stopping
  }
  const guards = installGuards(log, () => {
    // Whatever threw may have left the writer or a socket half-done: stop and let a supervisor
    // restart the node. Stopping is bounded by the force timer below.
    armForce(log)
    void shutdown().finally(() => process.exit(EXIT.failed))
  })
  const stopWatchingParent = watchParent(ctx.env, () => {
    log.warn({ parentPid: process.ppid }, 'the launching process (npm/npx) exited; stopping as on SIGTERM')
    requested?.()
  })
  const onSignal = (): void => requested?.()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  // The demo backfills today before it runs live; the node's clock follows it meanwhile
  // (devices-sim/demo.ts). Another --date runs from its midnight on the wall clock.
  const clock: DemoClock | undefined =
    wantDemo && (demoDate === undefined || demoDate === localDate(Date.now(), config.tz))
      ? createDemoClock(demoClockStart(config.tz))
      : undefined
  try {
    system = await startSystem(config, log, { ...(clock ? { now: clock.now } : {}), simulated: wantDemo === true })
  } catch (err) {
    const port = portInUseMessage(err, config.bindHost, ports)
    if (port === undefined) throw err
    ctx.stderr.write(`qingyun start: ${port}\n`)
    return EXIT.failed
  } finally {
    if (system === undefined) {
      guards.remove()
      stopWatchingParent()
      process.removeListener('SIGINT', onSignal)
      process.removeListener('SIGTERM', onSignal)
      await lock.release()
    }
  }
  try {
    await announce(system)
  } catch (err) {
    await shutdown()
    throw err
  }
  await stopped
  stopWatchingParent()
  armForce(log)
  await shutdown()
  guards.remove()
  return EXIT.ok

  async function announce(system: System): Promise<void> {
    let demoToken: string | undefined
    if (wantDemo) {
      if (!config.registryIsDefault)
        log.warn("--demo drives the devices of your registry with the tokens in the data dir's device-credentials.json")
      // A fresh operator token each demo start: only its hash is kept.
      if (system.users.list().some((u) => u.name === 'demo')) await system.users.revoke('demo')
      demoToken = await system.users.add('demo', 'operator')
      demo = await startDemo({
        mqttUrl: `mqtt://127.0.0.1:${system.broker.mqttPort}`,
        credentialsPath: system.credentialsPath,
        registry: system.registry.current(),
        speed,
        seed,
        ...(demoDate ? { date: demoDate } : {}),
        ...(clock ? { clock } : {}),
        ingest: (msg) => system.ingest.handle(msg),
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
        system.broker.wsPort === null
          ? ''
          : `  MQTT over WS      ${config.tls ? 'wss' : 'ws'}://${host}:${system.broker.wsPort}`,
        `  operations page   http://${host}:${system.httpPort}/`,
        `  REST + OpenAPI    http://${host}:${system.httpPort}/api/v1  (docs: /docs; websocket: /api/v1/ws; /healthz, /readyz)`,
        `  InfluxDB          ${system.influx.url}  database ${config.influx.db}`,
        system.influxCredentialsPath
          ? `                    login in ${system.influxCredentialsPath} (keep private)`
          : '',
        `  data dir          ${config.dataDir}`,
        `  registry          ${config.registryPath}`,
        config.registryIsDefault ? `  device tokens     ${system.credentialsPath} (sample devices; keep private)` : '',
        demoToken && clock
          ? '  demo              simulating the city: today so far is backfilled first, then live;'
          : '',
        demoToken && !clock ? `  demo              simulating ${demoDate} at ${speed}× from local midnight;` : '',
        demoToken ? '                    sign in with this operator token:' : '',
        demoToken
          ? `                    ${demoToken}`
          : '  operator tokens   qingyun users add NAME --role viewer|operator|admin',
        `  CLI beside it     ${besideHint(ctx.env, process.cwd(), config)}`,
        '  Stop with Ctrl-C.',
        ''
      ]
        .filter((l) => l !== '')
        .join('\n') + '\n'
    )
  }
}

/**
 * A second Ctrl-C, or a stop that takes too long, ends the process at once; everything
 * acknowledged is already stored, so nothing acknowledged is lost either way.
 */
function armForce(log: ReturnType<typeof createLogger>): void {
  const force = (why: string) => (): void => {
    log.error({ why }, 'stopping at once')
    process.exit(EXIT.failed)
  }
  process.once('SIGINT', force('second signal'))
  process.once('SIGTERM', force('second signal'))
  setTimeout(force('stop took longer than 30 s'), 30_000).unref()
}
