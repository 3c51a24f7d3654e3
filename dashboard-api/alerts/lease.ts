// Exactly one alert engine per database (README "Running several nodes"): two engines
// evaluating against one database would each open their own episode of every alert. In cluster
// mode the nodes hold a lease in Redis: SET NX PX takes it, the holder renews it every third of
// its TTL, and a node whose holder died takes it within one TTL plus one renewal period.
//
// Fencing: each acquisition gets a token from a counter that only grows (INCR; seeded from
// Redis' clock when the counter is missing, so a Redis restarted without its data still hands
// out larger tokens). The lease's value is `owner:token`; before the holder writes alert state it
// checks, in Redis, that the lease still carries its token (fencedSink), and a holder that cannot
// renew within the TTL stops evaluating before anyone else can have taken over.
import type { Log } from '../../lib/log.ts'
import type { Sink } from '../../store/sink.ts'

/** The Redis commands the lease needs (ioredis' `eval`). */
export interface LeaseRedis {
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
}

export interface Lease {
  /** This node holds the lease, renewed less than a TTL minus one renewal period ago. */
  holding(): boolean
  /** The fencing token of the current holding; undefined when not holding. */
  token(): number | undefined
  /** Asks Redis whether the lease still carries this node's token (the fence before a write). */
  check(): Promise<boolean>
  /** Resolves after the first attempt to acquire (taken or not). */
  readonly ready: Promise<void>
  /** Stops renewing and releases the lease if held. */
  close(): Promise<void>
}

export class LeaseLostError extends Error {
  readonly code = 'API_E_ALERT_LEASE_LOST'
  override readonly name = 'LeaseLostError'
}

const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then
  local t = redis.call('TIME')
  redis.call('SET', KEYS[2], string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))
end
local n = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. n, 'PX', ARGV[2])
return n`
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`
const CHECK = `return redis.call('GET', KEYS[1]) == ARGV[1] and 1 or 0`
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

export interface LeaseDeps {
  readonly redis: LeaseRedis
  /** The lease's key; the fencing counter is `${key}:fence`. One per database. */
  readonly key: string
  /** Who holds it, for operators reading the key (the broker's id). */
  readonly owner: string
  readonly ttlMs: number
  readonly log: Log
  readonly now: () => number
}

export function createLease(deps: LeaseDeps): Lease {
  const { redis, key, owner, ttlMs, log, now } = deps
  const fenceKey = `${key}:fence`
  const periodMs = Math.max(100, Math.floor(ttlMs / 3))
  let value: string | undefined
  let token: number | undefined
  let renewedAt = 0
  let closed = false
  let failing = false

  const holding = (): boolean => value !== undefined && now() - renewedAt < ttlMs - periodMs

  function lose(reason: string): void {
    if (value === undefined) return
    log.warn({ key, token, reason }, 'alert lease lost; this node stops evaluating alerts')
    value = undefined
    token = undefined
  }

  async function tick(): Promise<void> {
    try {
      if (value !== undefined) {
        const at = now()
        const renewed = await redis.eval(RENEW, 1, key, value, ttlMs)
        if (Number(renewed) === 1) renewedAt = at
        else lose('the lease carries another token')
      } else {
        const at = now()
        const n = Number(await redis.eval(ACQUIRE, 2, key, fenceKey, owner, ttlMs))
        if (n > 0 && !closed) {
          value = `${owner}:${n}`
          token = n
          renewedAt = at
          log.info({ key, token: n, ttlMs }, 'alert lease taken; this node evaluates alerts')
        }
      }
      if (failing) log.info({ key }, 'alert lease: Redis answers again')
      failing = false
    } catch (err) {
      if (!failing) log.error({ key, err: (err as Error).message }, 'alert lease: Redis did not answer')
      failing = true
    }
    // No answer for a TTL: another node may hold it by now.
    if (value !== undefined && !holding()) lose('not renewed within the TTL')
  }

  let running: Promise<void> = tick()
  const ready = running
  const timer = setInterval(() => {
    running = running.then(tick)
  }, periodMs)
  timer.unref()

  return {
    holding,
    token: () => (holding() ? token : undefined),
    async check() {
      const v = value
      if (v === undefined || !holding()) return false
      return Number(await redis.eval(CHECK, 1, key, v)) === 1
    },
    ready,
    async close() {
      closed = true
      clearInterval(timer)
      await running
      const v = value
      value = undefined
      token = undefined
      if (v !== undefined) await redis.eval(RELEASE, 1, key, v).catch(() => undefined)
    }
  }
}

/** The holder's writes of alert state: refused unless the lease still carries its token. */
export function fencedSink(sink: Sink, lease: Lease): Sink {
  return {
    async write(lines) {
      const token = lease.token()
      if (token === undefined || !(await lease.check()))
        throw new LeaseLostError('the alert lease is no longer held by this node; alert state not written')
      return sink.write(lines)
    },
    close: () => sink.close()
  }
}
