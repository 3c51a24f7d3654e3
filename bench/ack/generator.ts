// The one load generator of bench:ack, in its own process (forked by bench/ack.ts, driven over
// IPC): per round it connects N mqtt.js clients to one target, keeps `window` QoS 1 publishes
// in flight per client (or paces them at a fixed rate), and measures acked msg/s and PUBACK
// latency over a fixed window after a warm-up. Exits when its parent goes away.
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import mqtt, { type MqttClient } from 'mqtt'
import { quantiles, type FromGenerator, type RoundResult, type RoundSpec, type ToGenerator } from './protocol.ts'
import { createLagPoller } from './storeLag.ts'

const CONNECT_CONCURRENCY = 20
const DRAIN_MS = 15_000
const TICK_MS = 5
const LAG_POLL_MS = 20

function send(m: FromGenerator): void {
  process.send?.(m)
}

async function connectAll(spec: RoundSpec): Promise<MqttClient[]> {
  const clients: MqttClient[] = []
  for (let i = 0; i < spec.credentials.length; i += CONNECT_CONCURRENCY) {
    const batch = spec.credentials.slice(i, i + CONNECT_CONCURRENCY)
    clients.push(
      ...(await Promise.all(
        batch.map((c, k) =>
          mqtt.connectAsync(spec.url, {
            username: c.username,
            password: c.password,
            clientId: `ack-${i + k}`,
            protocolVersion: 4,
            clean: true,
            reconnectPeriod: 0,
            keepalive: 60,
            connectTimeout: 10_000
          })
        )
      ))
    )
  }
  return clients
}

async function runRound(spec: RoundSpec, seqs: number[]): Promise<RoundResult> {
  const clients = await connectAll(spec)
  let clientErrors = 0
  let ending = false
  for (const c of clients) {
    c.on('error', () => clientErrors++)
    // A connection the server closes mid-round ends that client's lanes: counted as an error.
    c.on('close', () => void (ending || clientErrors++))
  }
  const topics = spec.credentials.map((c) => `v1/devices/${c.username}/fill`)
  // seq increases per device across rounds, as the contract asks of a device.
  for (let i = seqs.length; i < clients.length; i++) seqs.push(0)
  const latencies: number[] = []
  let acked = 0
  let errors = 0
  let sampled = 0
  const lag = spec.storeLag
    ? createLagPoller({
        url: spec.storeLag.url,
        db: spec.storeLag.db,
        ...(spec.storeLag.authorization ? { authorization: spec.storeLag.authorization } : {}),
        pollMs: LAG_POLL_MS,
        now: () => performance.now()
      })
    : null

  const t0 = performance.now()
  const from = t0 + spec.warmupMs
  const to = from + spec.seconds * 1000
  let cpuFrom = process.cpuUsage()
  let cpu = { user: 0, system: 0 }
  const pids = Object.entries(spec.pids ?? {})
  let targetFrom: number[] = pids.map(([, pid]) => cpuSecondsOf(pid))
  let targetCpu: number[] = pids.map(() => NaN)
  const cpuTimers = [
    setTimeout(() => {
      cpuFrom = process.cpuUsage()
      targetFrom = pids.map(([, pid]) => cpuSecondsOf(pid))
    }, spec.warmupMs),
    setTimeout(() => endCpu(), spec.warmupMs + spec.seconds * 1000)
  ]
  // Once, at the end of the measured window: by this timer, or when the send loop ends first (a
  // fast target's last acks can all be in before the timer's turn, and the timer is then
  // cleared unfired: the round had no CPU figures).
  let cpuEnded = false
  function endCpu(): void {
    if (cpuEnded) return
    cpuEnded = true
    cpu = process.cpuUsage(cpuFrom)
    targetCpu = pids.map(([, pid], i) => cpuSecondsOf(pid) - targetFrom[i]!)
  }
  const inFlight = new Set<Promise<void>>()

  const publishOne = async (i: number): Promise<void> => {
    const ts = Date.now() - 1000
    const seq = seqs[i]!++
    const body = `{"ts":${ts},"seq":${seq},"fillPct":42}`
    const sent = performance.now()
    const measured = sent >= from && sent < to
    try {
      await clients[i]!.publishAsync(topics[i]!, body, { qos: 1 })
    } catch {
      if (measured) errors++
      return
    }
    const done = performance.now()
    if (done >= from && done < to) acked++
    if (!measured) return
    latencies.push(done - sent)
    if (lag && ++sampled % spec.storeLag!.every === 0) {
      lag.add({ device: spec.credentials[i]!.username, ts, seq, ackAt: done })
    }
  }
  const track = (p: Promise<void>): Promise<void> => {
    inFlight.add(p)
    return p.finally(() => inFlight.delete(p))
  }

  let notSent = 0
  if (spec.rate === undefined) {
    // Closed loop: each lane sends its next message when the previous one is acked.
    const lane = async (i: number): Promise<void> => {
      while (performance.now() < to && clients[i]!.connected) await track(publishOne(i))
    }
    await Promise.all(clients.flatMap((_, i) => Array.from({ length: spec.window }, () => lane(i))))
  } else {
    // Paced: messages are due at a fixed rate whatever the acks do (no coordinated omission);
    // one that finds every client's window full is counted as not sent, never sent late.
    const rate = spec.rate
    const busy = new Array<number>(clients.length).fill(0)
    let due = 0
    let next = 0
    while (performance.now() < to) {
      const owed = Math.floor(((performance.now() - t0) * rate) / 1000) - due
      for (let k = 0; k < owed; k++) {
        due++
        let i = -1
        for (let j = 0; j < clients.length; j++) {
          const c = (next + j) % clients.length
          if (busy[c]! < spec.window && clients[c]!.connected) {
            i = c
            break
          }
        }
        if (i < 0) {
          notSent++
          continue
        }
        next = (i + 1) % clients.length
        busy[i]!++
        void track(publishOne(i)).finally(() => busy[i]!--)
      }
      await sleep(TICK_MS)
    }
  }
  endCpu()
  await Promise.race([Promise.allSettled([...inFlight]), sleep(DRAIN_MS)])
  const lagResult = lag ? await lag.finish(spec.storeLag!.maxWaitMs) : null
  for (const t of cpuTimers) clearTimeout(t)
  ending = true
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)))

  const cpuPct = ((cpu.user + cpu.system) / 1000 / (spec.seconds * 1000)) * 100
  return {
    id: spec.id,
    target: spec.target,
    seconds: spec.seconds,
    acked,
    ackedPerS: acked / spec.seconds,
    targetRate: spec.rate ?? null,
    notSent,
    latencyMs: quantiles(latencies),
    errors: errors + clientErrors + inFlight.size,
    generatorCpuPct: cpuPct,
    cpuUsPerMsg: Object.fromEntries(pids.map(([name], i) => [name, acked > 0 ? (targetCpu[i]! / acked) * 1e6 : NaN])),
    storeLagMs: lagResult
      ? {
          ...quantiles(lagResult.lags),
          samples: lagResult.lags.length,
          notSeen: lagResult.notSeen + lagResult.dropped,
          queryErrors: lagResult.queryErrors,
          pollMs: LAG_POLL_MS
        }
      : null
  }
}

const seqs: number[] = []
process.on('disconnect', () => process.exit(0))
process.on('message', (m: ToGenerator) => {
  if (m.type === 'exit') process.exit(0)
  runRound(m.spec, seqs).then(
    (result) => send({ type: 'result', result }),
    (err: unknown) => send({ type: 'error', id: m.spec.id, message: (err as Error).message })
  )
})
send({ type: 'ready' })

/** User + system CPU seconds a process has used so far, from /proc (Linux); NaN when unknown. */
// USER_HZ: 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)).
const CLOCK_TICKS = 100

function cpuSecondsOf(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces), from its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS
  } catch {
    return NaN
  }
}
