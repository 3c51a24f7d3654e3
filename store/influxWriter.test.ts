// Unit tests of the group-commit writer with a scripted client. The client is the boundary here:
// these tests script answers (statuses, network errors, Retry-After) a real InfluxDB cannot be
// made to give on cue. writer.influx.test.ts runs the same writer against a real influxd.
import { describe, expect, it } from 'vitest'
import { createWriter, WriterClosedError, type WriteResponse } from './influxWriter.ts'
import { InfluxNetworkError } from '../influx/errors.ts'
import {
  captureLog,
  flush,
  instantSleep,
  lines,
  manualClient,
  manualSleep,
  ok,
  scriptedClient
} from './influxWriterTestKit.ts'

describe('group commit', () => {
  it('sends at once when idle; 10 writes during an in-flight write go out as one batch', async () => {
    const client = manualClient()
    const w = createWriter({ client, log: captureLog().log })
    const first = w.write(['m v=0i 1'])
    expect(client.calls).toHaveLength(1)

    const more = Array.from({ length: 10 }, (_, i) => w.write([`m v=${i + 1}i ${i + 2}`]))
    await flush()
    expect(client.calls).toHaveLength(1)
    expect(w.stats()).toMatchObject({ inFlight: 1, pendingLines: 10 })

    client.calls[0]!.answer.resolve(ok)
    await expect(first).resolves.toEqual({ rejected: [] })
    await flush()
    expect(client.calls).toHaveLength(2)
    expect(client.calls[1]!.lines).toHaveLength(10)

    client.calls[1]!.answer.resolve(ok)
    for (const p of more) await expect(p).resolves.toEqual({ rejected: [] })
    expect(w.stats()).toMatchObject({ batches: 2, requests: 2, lines: 11, inFlight: 0, pendingLines: 0, retries: 0 })
  })

  it('sends a full batch while another is in flight, up to maxInFlight', async () => {
    const client = manualClient()
    const w = createWriter({ client, log: captureLog().log, maxBatchLines: 5, maxInFlight: 2 })
    void w.write(lines(1))
    void w.write(lines(3, 'a'))
    await flush()
    expect(client.calls).toHaveLength(1)
    void w.write(lines(2, 'b')) // 5 pending now
    expect(client.calls).toHaveLength(2)
    expect(client.calls[1]!.lines).toEqual([...lines(3, 'a'), ...lines(2, 'b')])
    void w.write(lines(7, 'c')) // full again, but two are in flight
    expect(client.calls).toHaveLength(2)
    expect(w.stats().pendingLines).toBe(7)
  })

  it('never exceeds maxBatchLines; a large write() resolves only when all its lines are stored', async () => {
    const client = manualClient()
    const w = createWriter({ client, log: captureLog().log, maxBatchLines: 100, maxInFlight: 2 })
    let settled = false
    const big = w.write(lines(250)).then((r) => {
      settled = true
      return r
    })
    expect(client.calls.map((c) => c.lines.length)).toEqual([100, 100])

    client.calls[0]!.answer.resolve(ok)
    await flush()
    expect(client.calls.map((c) => c.lines.length)).toEqual([100, 100, 50])
    client.calls[2]!.answer.resolve(ok)
    await flush()
    expect(settled).toBe(false)
    client.calls[1]!.answer.resolve(ok)
    await expect(big).resolves.toEqual({ rejected: [] })
    expect(client.calls.flatMap((c) => c.lines)).toEqual(lines(250))
    expect(w.stats()).toMatchObject({ batches: 3, lines: 250 })
  })

  it('resolves an empty write at once without a request', async () => {
    const client = manualClient()
    const w = createWriter({ client, log: captureLog().log })
    await expect(w.write([])).resolves.toEqual({ rejected: [] })
    expect(client.calls).toHaveLength(0)
  })
})

describe('retries', () => {
  it('backs off exponentially with full jitter, capped at maxMs, then succeeds', async () => {
    const answers: (WriteResponse | Error)[] = [
      { status: 503, body: '{"error":"unavailable"}' },
      new InfluxNetworkError('influx write failed: fetch failed (ECONNREFUSED)'),
      { status: 500, body: '{"error":"timeout"}' },
      { status: 502, body: 'Bad Gateway' },
      { status: 503, body: '' },
      { status: 504, body: '' },
      ok
    ]
    const client = scriptedClient((_l, i) => answers[i]!)
    const s = instantSleep()
    const { log, entries } = captureLog()
    const w = createWriter({ client, log, sleep: s.sleep, random: () => 0.5, retry: { initialMs: 100, maxMs: 1000 } })
    await expect(w.write(lines(3))).resolves.toEqual({ rejected: [] })
    // 0.5 × min(1000, 100·2^attempt)
    expect(s.waits).toEqual([50, 100, 200, 400, 500, 500])
    expect(client.calls).toHaveLength(7)
    expect(w.stats()).toMatchObject({ retries: 6, lines: 3, requests: 7, batches: 1 })

    const failures = entries.filter((e) => e.msg === 'influx write failed; retrying')
    expect(failures).toHaveLength(6)
    expect(failures.every((e) => e.level === 'warn')).toBe(true)
    expect(failures[0]!.obj).toMatchObject({
      reason: 'server',
      status: 503,
      message: 'unavailable',
      attempt: 1,
      delayMs: 50,
      lines: 3
    })
    expect(failures[1]!.obj).toMatchObject({ reason: 'network', code: 'INFLUX_E_NETWORK' })
  })

  it('uses the whole jitter range', async () => {
    const client = scriptedClient((_l, i) => (i < 2 ? { status: 503, body: '' } : ok))
    const zero = instantSleep()
    await createWriter({ client, log: captureLog().log, sleep: zero.sleep, random: () => 0 }).write(lines(1))
    expect(zero.waits).toEqual([0, 0])
    const client2 = scriptedClient((_l, i) => (i < 2 ? { status: 503, body: '' } : ok))
    const top = instantSleep()
    await createWriter({
      client: client2,
      log: captureLog().log,
      sleep: top.sleep,
      random: () => 0.999,
      retry: { initialMs: 1000 }
    }).write(lines(1))
    expect(top.waits).toEqual([999, 1998])
  })

  it('honours Retry-After on 429 (and 503), never retrying sooner', async () => {
    const answers: WriteResponse[] = [
      { status: 429, body: '{"error":"too many requests"}', retryAfterMs: 3000 },
      { status: 503, body: '', retryAfterMs: 0 },
      ok
    ]
    const client = scriptedClient((_l, i) => answers[i]!)
    const s = instantSleep()
    const { log, entries } = captureLog()
    const w = createWriter({ client, log, sleep: s.sleep, random: () => 0.5 })
    await w.write(lines(2))
    expect(s.waits).toEqual([3000, 100])
    expect(entries[0]!.obj).toMatchObject({ reason: 'throttled', status: 429, retryAfterMs: 3000, delayMs: 3000 })
  })

  it('treats 401/403/404 as configuration errors: logged at error level, data kept and retried', async () => {
    const answers: WriteResponse[] = [
      { status: 401, body: '{"error":"authorization failed"}' },
      { status: 403, body: '{"error":"forbidden"}' },
      { status: 404, body: '{"error":"database not found: \\"qingyun\\""}' },
      ok
    ]
    const client = scriptedClient((_l, i) => answers[i]!)
    const { log, entries } = captureLog()
    const w = createWriter({ client, log, sleep: instantSleep().sleep })
    await expect(w.write(lines(5))).resolves.toEqual({ rejected: [] })
    const failures = entries.filter((e) => e.msg === 'influx write failed; retrying')
    expect(failures.map((e) => [e.level, e.obj.reason, e.obj.status])).toEqual([
      ['error', 'config', 401],
      ['error', 'config', 403],
      ['error', 'config', 404]
    ])
    expect(failures[2]!.obj.message).toBe('database not found: "qingyun"')
    expect(w.stats()).toMatchObject({ lines: 5, retries: 3, rejectedLines: 0 })
    expect(w.stats().lastError).toEqual({ reason: 'config', status: 404, message: 'database not found: "qingyun"' })
  })

  it('keeps retrying while InfluxDB stays down; the ack waits', async () => {
    let up = false
    const client = scriptedClient(() => (up ? ok : new InfluxNetworkError('down')))
    const s = manualSleep()
    const w = createWriter({
      client,
      log: captureLog().log,
      sleep: s.sleep,
      random: () => 1,
      retry: { initialMs: 100, maxMs: 400 }
    })
    let acked = false
    const p = w.write(lines(4)).then(() => {
      acked = true
    })
    for (let i = 0; i < 50; i++) {
      await flush()
      s.waits[i]!.end()
    }
    await flush()
    expect(acked).toBe(false)
    expect(s.waits.slice(0, 5).map((x) => x.ms)).toEqual([100, 200, 400, 400, 400])
    expect(w.stats()).toMatchObject({ retries: 51, inFlight: 1, lines: 0 })
    up = true
    s.waits[50]!.end()
    await p
    expect(w.stats()).toMatchObject({ lines: 4, inFlight: 0 })
  })
})

describe('bad lines', () => {
  const conflict =
    'partial write: field type conflict: input field "v" on measurement "m" is type string, already exists as type float dropped=1'

  it('isolates one bad line among 1,000 by bisection; the others are stored', async () => {
    const all = lines(1000)
    const bad = 637
    all[bad] = 'm v="oops" 638'
    const stored = new Set<string>()
    // Like 1.x: the good points of a partial write are stored, the response is 400.
    const client = scriptedClient((ls) => {
      for (const l of ls) if (l !== all[bad]) stored.add(l)
      return ls.includes(all[bad]!) ? { status: 400, body: JSON.stringify({ error: conflict }) } : ok
    })
    const { log, entries } = captureLog()
    const w = createWriter({ client, log, sleep: instantSleep().sleep })
    const result = await w.write(all)
    expect(result).toEqual({ rejected: [{ index: bad, error: conflict }] })
    expect(stored.size).toBe(999)
    // 1 + 2 per halving level: ⌈log2 1000⌉ = 10 levels
    expect(client.calls).toHaveLength(21)
    expect(w.stats()).toMatchObject({ lines: 999, rejectedLines: 1, retries: 0, batches: 1, requests: 21 })
    const rejected = entries.filter((e) => e.msg === 'influx rejected a line')
    expect(rejected).toHaveLength(1)
    expect(rejected[0]!.obj).toMatchObject({ status: 400, error: conflict, index: bad, line: 'm v="oops" 638' })
  })

  it('maps a rejection to the write() call and index it came from', async () => {
    const client = manualClient()
    const w = createWriter({ client, log: captureLog().log, sleep: instantSleep().sleep })
    const a = w.write(['x v=1 1'])
    const b = w.write(['x v=2 2', 'BAD', 'x v=3 3'])
    const c = w.write(['BAD', 'x v=4 4'])
    client.calls[0]!.answer.resolve(ok)
    await flush()
    // Now one batch of 5 with two bad lines; answer every request by content.
    const answerAll = async () => {
      for (let i = 0; i < 40; i++) {
        for (const call of client.calls) {
          call.answer.resolve(
            call.lines.some((l) => l === 'BAD')
              ? { status: 400, body: '{"error":"unable to parse \'BAD\': missing fields"}' }
              : ok
          )
        }
        await flush()
      }
    }
    await answerAll()
    await expect(a).resolves.toEqual({ rejected: [] })
    await expect(b).resolves.toEqual({ rejected: [{ index: 1, error: "unable to parse 'BAD': missing fields" }] })
    await expect(c).resolves.toEqual({ rejected: [{ index: 0, error: "unable to parse 'BAD': missing fields" }] })
  })

  it('splits on 413 until the batches fit; a single line still too large is rejected alone', async () => {
    const huge = `m s="${'x'.repeat(100)}" 1`
    const client = scriptedClient((ls) =>
      ls.length > 8 || ls.includes(huge) ? { status: 413, body: '{"error":"Request Entity Too Large"}' } : ok
    )
    const w = createWriter({ client, log: captureLog().log, sleep: instantSleep().sleep })
    const input = [...lines(30), huge]
    const result = await w.write(input)
    expect(result).toEqual({ rejected: [{ index: 30, error: 'Request Entity Too Large' }] })
    expect(w.stats()).toMatchObject({ lines: 30, rejectedLines: 1, retries: 0 })
    expect(
      client.calls
        .filter((c) => c.length <= 8 && !c.includes(huge))
        .flat()
        .sort()
    ).toEqual(lines(30).sort())
  })

  it('reads 2.x error bodies ({code, message}) and plain-text bodies', async () => {
    const client = scriptedClient((ls) =>
      ls[0] === 'A'
        ? {
            status: 422,
            body: '{"code":"unprocessable entity","message":"failure writing points to database: partial write: points beyond retention policy dropped=1"}'
          }
        : { status: 400, body: 'bad request\n' }
    )
    const w = createWriter({ client, log: captureLog().log })
    await expect(w.write(['A', 'B'])).resolves.toEqual({
      rejected: [
        {
          index: 0,
          error: 'failure writing points to database: partial write: points beyond retention policy dropped=1'
        },
        { index: 1, error: 'bad request' }
      ]
    })
  })

  it('refuses a line containing a line break without sending it', async () => {
    const client = scriptedClient(() => ok)
    const w = createWriter({ client, log: captureLog().log })
    await expect(w.write(['m v=1 1', 'm v=2 2\nm v=3 3'])).resolves.toEqual({
      rejected: [{ index: 1, error: 'line contains a line break' }]
    })
    expect(client.calls).toEqual([['m v=1 1']])
  })
})

describe('close', () => {
  it('drains accepted lines, then refuses new writes', async () => {
    const client = manualClient()
    const s = manualSleep()
    const w = createWriter({ client, log: captureLog().log, sleep: s.sleep })
    const a = w.write(lines(1))
    const b = w.write(lines(2, 'b'))
    let closed = false
    const closing = w.close().then(() => {
      closed = true
    })
    await expect(w.write(lines(1))).rejects.toBeInstanceOf(WriterClosedError)
    client.calls[0]!.answer.resolve(ok)
    await flush()
    expect(closed).toBe(false)
    client.calls[1]!.answer.resolve(ok)
    await closing
    await expect(a).resolves.toEqual({ rejected: [] })
    await expect(b).resolves.toEqual({ rejected: [] })
    expect(s.waits.map((x) => x.ms)).toEqual([10_000]) // the close deadline, never reached
  })

  it('after the timeout rejects what is left with WriterClosedError and stops retrying', async () => {
    const client = scriptedClient(() => ({ status: 503, body: '' }))
    const s = manualSleep()
    const { log, entries } = captureLog()
    const w = createWriter({ client, log, sleep: s.sleep, maxBatchLines: 2, maxInFlight: 1 })
    const a = w.write(lines(2))
    const b = w.write(lines(3, 'b'))
    await flush()
    expect(s.waits).toHaveLength(1) // a's batch is backing off
    const closing = w.close({ timeoutMs: 1234 })
    const deadline = s.waits.find((x) => x.ms === 1234)!
    deadline.end()
    await closing
    await expect(a).rejects.toThrow(WriterClosedError)
    await expect(b).rejects.toMatchObject({ code: 'INGEST_E_WRITER_CLOSED' })
    const requests = client.calls.length
    for (const x of s.waits) x.end()
    await flush()
    expect(client.calls).toHaveLength(requests)
    expect(w.stats()).toMatchObject({ pendingLines: 0 })
    expect(entries.some((e) => e.msg === 'writer closed with unwritten lines' && e.obj.unfinishedWrites === 2)).toBe(
      true
    )
  })

  it('resolves at once when idle and is idempotent', async () => {
    const w = createWriter({ client: scriptedClient(() => ok), log: captureLog().log, sleep: manualSleep().sleep })
    const p1 = w.close()
    expect(w.close()).toBe(p1)
    await p1
  })
})
