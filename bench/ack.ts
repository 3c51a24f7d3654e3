// bench:ack — how fast QoS 1 publishes are acknowledged by Qingyun, next to what a user would
// pick instead: bare Aedes (the same version, no auth, no ingest) and Mosquitto. Each server
// in its own process, one load generator process for all, rounds interleaved (A B C A B C),
// so the noise of a shared machine falls on all three alike: the ratios are the result.
// For qingyun also the store lag (PUBACK → visible in InfluxDB) and a phase at half its max
// rate. Prints a table, writes bench-output/ack.json. See README "Benchmarks".
//
//   npm run bench:ack
//   npm run bench:ack -- --seconds 15 --rounds 2 --clients 200 --window 4 --only aedes,qingyun
//   npm run bench:ack -- --smoke     # each target ~1 s with 5 clients
//   npm run bench:ack -- --only qingyun --rounds 1 --paced 3000   # the paced phase at 3,000 msg/s
import { fork, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { describeNodeView, nodeRoundView, scrapeNode, type NodeRoundView } from './ack/nodeView.ts'
import { createProcs, peakRssMiB } from './ack/procs.ts'
import type { FromGenerator, RoundResult, RoundSpec } from './ack/protocol.ts'
import { median, roundTable, summarise, summaryTable, verdictLines } from './ack/report.ts'
import { fillRegistry, startAedes, startMosquitto, startQingyun, type Target } from './ack/targets.ts'

const NAMES = ['aedes', 'mosquitto', 'qingyun'] as const
const { values: a } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    rounds: { type: 'string', default: '2' },
    clients: { type: 'string', default: '200' },
    window: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '3' },
    only: { type: 'string', default: NAMES.join(',') },
    'lag-every': { type: 'string', default: '100' },
    // the paced phase's rate in msg/s (default: half of qingyun's median max rate)
    paced: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    // e.g. --qingyun-node-args='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the node under load
    'qingyun-node-args': { type: 'string', default: '' },
    out: { type: 'string', default: 'bench-output' }
  }
})
const num = (name: string, v: string | undefined, min: number): number => {
  const n = Number(v)
  if (!Number.isFinite(n) || n < min) {
    console.error(`bench:ack: --${name} must be a number ≥ ${min}`)
    process.exit(2)
  }
  return n
}
const opts = {
  seconds: a.smoke ? 1 : num('seconds', a.seconds, 0.1),
  rounds: a.smoke ? 1 : Math.floor(num('rounds', a.rounds, 1)),
  clients: a.smoke ? 5 : Math.floor(num('clients', a.clients, 1)),
  window: Math.floor(num('window', a.window, 1)),
  warmupS: a.smoke ? 0.5 : num('warmup', a.warmup, 0),
  lagEvery: a.smoke ? 5 : Math.floor(num('lag-every', a['lag-every'], 1)),
  only: a
    .only!.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}
const unknown = opts.only.filter((n) => !(NAMES as readonly string[]).includes(n))
if (unknown.length > 0 || opts.only.length === 0) {
  console.error(`bench:ack: --only takes a comma-separated subset of ${NAMES.join(',')}`)
  process.exit(2)
}
const selected = NAMES.filter((n) => opts.only.includes(n))

const LAG_WAIT_MS = a.smoke ? 10_000 : 30_000
const ROUND_SLACK_MS = 60_000 + LAG_WAIT_MS
const roundMs = (opts.warmupS + opts.seconds) * 1000 + ROUND_SLACK_MS
// Everything is bounded: setup, every round, the half-rate phase, and the whole run.
const budgetMs = 420_000 + roundMs * (opts.rounds * selected.length + 1)

const say = (msg: string): void => void process.stderr.write(`bench:ack: ${msg}\n`)
const procs = createProcs(say)
let dir: string | undefined
let generator: ChildProcess | undefined
let cleaning: Promise<void> | undefined
const cleanup = (): Promise<void> =>
  (cleaning ??= (async () => {
    generator?.kill('SIGTERM')
    await procs.stopAll()
    if (dir) await rm(dir, { recursive: true, force: true })
  })())
const abort = (why: string, code: number) => (): void => {
  say(why)
  void cleanup().finally(() => process.exit(code))
}
process.once('SIGINT', abort('interrupted; stopping every process it started', 130))
process.once('SIGTERM', abort('terminated; stopping every process it started', 143))
setTimeout(abort(`took longer than its bound of ${Math.round(budgetMs / 1000)} s; stopping`, 1), budgetMs).unref()

async function startGenerator(): Promise<{ run(spec: RoundSpec): Promise<RoundResult> }> {
  const file = fileURLToPath(new URL('./ack/generator.ts', import.meta.url))
  const child = fork(file, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  generator = child
  const next = (ms: number): Promise<FromGenerator> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`the generator did not answer within ${ms} ms`)), ms)
      const onExit = (code: number | null): void => done(new Error(`the generator exited (${code})`))
      const onMessage = (m: FromGenerator): void => done(null, m)
      const done = (err: Error | null, m?: FromGenerator): void => {
        clearTimeout(timer)
        child.off('exit', onExit).off('message', onMessage)
        if (err) reject(err)
        else resolve(m!)
      }
      child.on('exit', onExit).on('message', onMessage)
    })
  if ((await next(60_000)).type !== 'ready') throw new Error('the generator did not start')
  return {
    async run(spec) {
      child.send({ type: 'round', spec })
      const m = await next(roundMs)
      if (m.type === 'error') throw new Error(`round ${spec.id} (${spec.target}): ${m.message}`)
      if (m.type !== 'result') throw new Error(`round ${spec.id}: unexpected ${m.type}`)
      return m.result
    }
  }
}

async function main(): Promise<number> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'qingyun-bench-ack-'))
  const { registry, credentials } = fillRegistry(opts.clients)
  const targets: Target[] = []
  for (const name of selected) {
    say(`starting ${name}`)
    const t =
      name === 'aedes'
        ? await startAedes(procs, dir)
        : name === 'mosquitto'
          ? await startMosquitto(procs, dir)
          : await startQingyun(
              procs,
              dir,
              registry,
              a['qingyun-node-args']!.split(' ').filter((s) => s !== '')
            )
    targets.push(t)
  }
  const gen = await startGenerator()
  const base = { credentials, window: opts.window, warmupMs: opts.warmupS * 1000, seconds: opts.seconds }
  const lagOf = (t: Target): RoundSpec['storeLag'] =>
    t.influx
      ? {
          url: t.influx.url,
          db: t.influx.db,
          ...(t.influx.authorization ? { authorization: t.influx.authorization } : {}),
          every: opts.lagEvery,
          maxWaitMs: LAG_WAIT_MS
        }
      : undefined
  const pidsOf = (t: Target): Record<string, number> =>
    Object.fromEntries(Object.entries(t.pids).filter((e): e is [string, number] => e[1] !== undefined))
  const nodeViews: string[] = []
  const nodeViewJson: Array<{ round: string; view: NodeRoundView }> = []
  /** Runs one round; for qingyun, with the node's own view of it beside (bench/ack/nodeView.ts). */
  const viewed = async (t: Target, label: string, round: () => Promise<RoundResult>): Promise<RoundResult> => {
    const before = t.httpUrl ? await scrapeNode(t.httpUrl) : null
    const result = await round()
    const after = before && t.httpUrl ? await scrapeNode(t.httpUrl) : null
    if (before && after) {
      const view = nodeRoundView(before, after)
      nodeViews.push(`${label}: ${describeNodeView(view)}`)
      nodeViewJson.push({ round: label, view })
    } else if (t.httpUrl) nodeViews.push(`${label}: /metrics did not answer`)
    return result
  }
  const rounds: RoundResult[] = []
  const labels: string[] = []
  let id = 0
  for (let r = 1; r <= opts.rounds; r++) {
    for (const t of targets) {
      say(`round ${r}/${opts.rounds}: ${t.name}`)
      const lag = lagOf(t)
      const roundId = ++id
      rounds.push(
        await viewed(t, `round ${r}`, () =>
          gen.run({
            ...base,
            id: roundId,
            target: t.name,
            url: t.url,
            pids: pidsOf(t),
            ...(lag ? { storeLag: lag } : {})
          })
        )
      )
      labels.push(String(r))
      await sleep(1000)
    }
  }
  const of = (name: string): RoundResult[] => rounds.filter((r) => r.target === name)
  const qingyun = targets.find((t) => t.name === 'qingyun')
  let half: RoundResult | null = null
  const paced: RoundResult[] = []
  if (qingyun) {
    const rate =
      a.paced === undefined
        ? Math.max(1, Math.round(median(of('qingyun').map((r) => r.ackedPerS)) / 2))
        : Math.floor(num('paced', a.paced, 1))
    say(`qingyun paced at ${rate} msg/s (${a.paced === undefined ? 'half its max rate' : '--paced'})`)
    half = await viewed(qingyun, '½ max', () =>
      gen.run({
        ...base,
        id: id + 1,
        target: 'qingyun',
        url: qingyun.url,
        pids: pidsOf(qingyun),
        rate,
        storeLag: lagOf(qingyun)!
      })
    )
    rounds.push(half)
    labels.push('½ max')
    // The others at the same rate: what the generator and a bare broker add to the tail.
    for (const t of targets.filter((x) => x !== qingyun)) {
      say(`${t.name} paced at ${rate} msg/s (qingyun's paced rate)`)
      const r = await gen.run({ ...base, id: id + 2 + paced.length, target: t.name, url: t.url, pids: pidsOf(t), rate })
      paced.push(r)
      rounds.push(r)
      labels.push('½ max')
    }
  }
  const isMaxRound = (r: RoundResult): boolean => r !== half && !paced.includes(r)

  const summaries = targets.map((t) =>
    summarise(
      t.name,
      of(t.name).filter(isMaxRound),
      Object.fromEntries(Object.entries(t.pids).map(([k, pid]) => [k, peakRssMiB(pid)]))
    )
  )
  const med = (name: string): number | null =>
    targets.some((t) => t.name === name)
      ? median(
          of(name)
            .filter(isMaxRound)
            .map((r) => r.ackedPerS)
        )
      : null
  const q = med('qingyun')
  const maxRounds = of('qingyun').filter((r) => isMaxRound(r) && r.storeLagMs)
  const verdicts = {
    ratioToAedes: q !== null && med('aedes') !== null ? q / med('aedes')! : null,
    ratioToMosquitto: q !== null && med('mosquitto') !== null ? q / med('mosquitto')! : null,
    cpuUsPerMsg: Object.fromEntries(
      targets.map((t) => {
        const rs = of(t.name).filter(isMaxRound)
        const names = Object.keys(rs[0]?.cpuUsPerMsg ?? {})
        return [t.name, Object.fromEntries(names.map((n) => [n, median(rs.map((r) => r.cpuUsPerMsg[n] ?? NaN))]))]
      })
    ),
    storeLag:
      maxRounds.length === 0
        ? null
        : {
            p50: median(maxRounds.map((r) => r.storeLagMs!.p50)),
            p99: median(maxRounds.map((r) => r.storeLagMs!.p99)),
            samples: maxRounds.reduce((s, r) => s + r.storeLagMs!.samples, 0),
            notSeen: maxRounds.reduce((s, r) => s + r.storeLagMs!.notSeen, 0)
          },
    half,
    pacedOthers: paced,
    pacedByFlag: a.paced !== undefined
  }

  const versions = Object.fromEntries(targets.map((t) => [t.name, t.version]))
  const lines = [
    '',
    `bench:ack — ${opts.clients} clients × ${opts.window} QoS 1 publishes in flight, ` +
      `${opts.seconds} s per round after ` +
      `${opts.warmupS} s warm-up, ${opts.rounds} round(s) of ${targets.map((t) => t.name).join(' ')}; ` +
      `${Object.entries(versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}; ${os.cpus().length} CPUs`,
    '',
    ...roundTable(rounds, labels),
    '',
    ...summaryTable(summaries),
    '',
    ...verdictLines(verdicts),
    ...(nodeViews.length > 0
      ? [
          'qingyun as the node sees each round (its /metrics before and after, warm-up included; latencies are log2-bucket upper bounds):',
          ...nodeViews.map((l) => `  ${l}`)
        ]
      : []),
    `(latencies: PUBACK after publish; store lag: PUBACK → visible in InfluxDB, 1 in ${opts.lagEvery} messages, ` +
      'an upper bound at ~20 ms polling; errors include paced messages not sent; ' +
      "gen CPU near 100 % = the generator was the limit; CPU µs/msg: each process's CPU time / acked messages)"
  ]
  console.log(lines.join('\n'))
  await mkdir(a.out!, { recursive: true })
  const file = path.join(a.out!, 'ack.json')
  await writeFile(
    file,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        node: process.version,
        cpus: os.cpus().length,
        options: opts,
        versions,
        rounds,
        summaries,
        verdicts,
        nodeViews: nodeViewJson
      },
      null,
      2
    ) + '\n'
  )
  console.log(`\nwrote ${file}`)
  return 0
}

let code = 1
try {
  code = await main()
} catch (err) {
  say(`failed: ${(err as Error).message}`)
} finally {
  await cleanup()
}
process.exit(code)
