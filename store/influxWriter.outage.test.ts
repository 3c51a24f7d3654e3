// The writer during an InfluxDB outage: one batch probes, the others wait for it, and the first
// answer from InfluxDB sends everyone at once (store/influxWriter.ts). bench/drain.ts measures the effect
// on a real node (`--mode down`).
import { describe, expect, it } from 'vitest'
import { createWriter, WriterClosedError, type WriteResponse } from './influxWriter.ts'
import { InfluxNetworkError, InfluxTimeoutError } from '../influx/errors.ts'
import {
  captureLog,
  flush,
  instantSleep as instantSleepKit,
  lines,
  manualClient,
  manualSleep,
  ok,
  scriptedClient
} from './influxWriterTestKit.ts'

/**
 * Two one-line batches in flight at once, with a fixed jitter so every wait is known: a backoff
 * drawn at random could be 5 ms and be taken for close's own 5 ms wait.
 */
const twoBatchWriter = (client: Parameters<typeof createWriter>[0]['client'], sleep: (ms: number) => Promise<void>) =>
  createWriter({ client, log: captureLog().log, sleep, random: () => 0.999, maxBatchLines: 1, maxInFlight: 2 })

describe('outages: one probe, then everyone', () => {
  const unavailable: WriteResponse = { status: 503, body: '{"error":"unavailable"}' }

  it('when InfluxDB answers again, a batch backing off retries at once instead of sleeping out its backoff', async () => {
    const client = manualClient()
    const s = manualSleep()
    const w = createWriter({
      client,
      log: captureLog().log,
      sleep: s.sleep,
      maxBatchLines: 2,
      maxInFlight: 2,
      random: () => 0.99,
      retry: { maxMs: 10_000 }
    })
    const a = w.write(lines(2, 'a'))
    const b = w.write(lines(2, 'b'))
    expect(client.calls).toHaveLength(2)
    client.calls[0]!.answer.resolve(unavailable)
    await flush()
    expect(s.waits).toHaveLength(1) // a backs off
    client.calls[1]!.answer.resolve(ok) // InfluxDB is back: b got through
    await expect(b).resolves.toEqual({ rejected: [] })
    await flush()
    // a goes again now, not when its backoff would have ended (up to maxMs later).
    expect(client.calls).toHaveLength(3)
    expect(client.calls[2]!.lines).toEqual(lines(2, 'a'))
    client.calls[2]!.answer.resolve(ok)
    await expect(a).resolves.toEqual({ rejected: [] })
    expect(w.stats()).toMatchObject({ lines: 4, retries: 1, inFlight: 0 })
  })

  it('during an outage one batch probes InfluxDB; the others wait and go as soon as the probe gets through', async () => {
    const client = manualClient()
    const s = manualSleep()
    const { log, entries } = captureLog()
    const w = createWriter({ client, log, sleep: s.sleep, maxBatchLines: 2, maxInFlight: 3, random: () => 0.5 })
    const a = w.write(lines(2, 'a'))
    const b = w.write(lines(2, 'b'))
    client.calls[0]!.answer.resolve(unavailable)
    client.calls[1]!.answer.resolve(unavailable)
    await flush()
    expect(s.waits).toHaveLength(1) // one backoff: a probes, b waits for it
    const c = w.write(lines(2, 'c')) // a batch formed during the outage waits as well
    await flush()
    expect(client.calls).toHaveLength(2)
    expect(w.stats()).toMatchObject({ inFlight: 3, pendingLines: 0 })

    s.waits[0]!.end()
    await flush()
    expect(client.calls).toHaveLength(3) // the probe, alone
    expect(client.calls[2]!.lines).toEqual(lines(2, 'a'))
    client.calls[2]!.answer.resolve(ok)
    await flush()
    const after = client.calls.slice(3).map((x) => x.lines)
    expect(after).toHaveLength(2)
    expect(after).toEqual(expect.arrayContaining([lines(2, 'b'), lines(2, 'c')]))
    for (const x of client.calls.slice(3)) x.answer.resolve(ok)
    for (const p of [a, b, c]) await expect(p).resolves.toEqual({ rejected: [] })
    expect(s.waits).toHaveLength(1)
    expect(w.stats()).toMatchObject({ lines: 6, requests: 5, inFlight: 0 })
    const waiting = entries.filter((e) => e.msg === 'influx write failed; retrying')
    expect(waiting.map((e) => e.obj.delayMs)).toEqual([50, undefined])
    expect(waiting[1]!.obj).toMatchObject({ waitingForProbe: true, lines: 2 })
  })

  it('a probe told to come back later (Retry-After) is not woken sooner by another answer', async () => {
    const client = manualClient()
    const s = manualSleep()
    const w = twoBatchWriter(client, s.sleep)
    const a = w.write(['m v=1 1'])
    const b = w.write(['m v=2 2'])
    client.calls[0]!.answer.resolve({ status: 429, body: '', retryAfterMs: 5000 })
    await flush()
    client.calls[1]!.answer.resolve(ok)
    await expect(b).resolves.toEqual({ rejected: [] })
    await flush()
    expect(client.calls).toHaveLength(2)
    expect(s.waits.map((x) => x.ms)).toEqual([5000])
    s.waits[0]!.end()
    await flush()
    client.calls[2]!.answer.resolve(ok)
    await expect(a).resolves.toEqual({ rejected: [] })
  })

  it('a line InfluxDB refuses is an answer too: the outage is over', async () => {
    const client = manualClient()
    const s = manualSleep()
    const w = twoBatchWriter(client, s.sleep)
    const a = w.write(['m v=1 1'])
    const b = w.write(['BAD'])
    client.calls[0]!.answer.resolve(unavailable)
    await flush()
    expect(s.waits).toHaveLength(1)
    client.calls[1]!.answer.resolve({ status: 400, body: '{"error":"unable to parse"}' })
    await expect(b).resolves.toEqual({ rejected: [{ index: 0, error: 'unable to parse' }] })
    await flush()
    expect(client.calls).toHaveLength(3)
    client.calls[2]!.answer.resolve(ok)
    await expect(a).resolves.toEqual({ rejected: [] })
  })

  it('close ends the wait of batches waiting for the probe', async () => {
    const client = scriptedClient(() => unavailable)
    const s = manualSleep()
    const w = twoBatchWriter(client, s.sleep)
    const a = w.write(['m v=1 1'])
    const b = w.write(['m v=2 2'])
    await flush()
    const closing = w.close({ timeoutMs: 5 })
    s.waits.find((x) => x.ms === 5)!.end()
    await closing
    await expect(a).rejects.toThrow(WriterClosedError)
    await expect(b).rejects.toThrow(WriterClosedError)
    expect(w.stats()).toMatchObject({ inFlight: 0 })
  })
})

describe('outages where InfluxDB does not answer at all', () => {
  it('the probe asks /ping, at most every probeMs, and resends the batch only once InfluxDB answers', async () => {
    let up = false
    const pings: boolean[] = []
    const client = {
      ...scriptedClient(() => (up ? ok : new InfluxNetworkError('influx write failed: fetch failed (ECONNREFUSED)'))),
      ping: async () => {
        pings.push(up)
        return up
      }
    }
    const s = manualSleep()
    const w = createWriter({
      client,
      log: captureLog().log,
      sleep: s.sleep,
      random: () => 0.999,
      retry: { initialMs: 100, maxMs: 10_000, probeMs: 1000 }
    })
    let acked = false
    const p = w.write(lines(3)).then(() => {
      acked = true
    })
    for (let i = 0; i < 7; i++) {
      await flush()
      s.waits[i]!.end()
    }
    await flush()
    expect(client.calls).toHaveLength(1) // the batch was not sent again while nothing answered
    expect(pings).toEqual([false, false, false, false, false, false, false])
    expect(s.waits.map((x) => x.ms)).toEqual([99, 199, 399, 799, 999, 999, 999, 999])
    expect(acked).toBe(false)
    up = true
    s.waits[7]!.end()
    await p
    expect(client.calls).toHaveLength(2)
    expect(w.stats()).toMatchObject({ lines: 3, requests: 2, probes: 8, inFlight: 0 })
  })

  it('a timeout is not probed with /ping: the batch waits out its backoff (InfluxDB may be busy with it)', async () => {
    const pings: number[] = []
    let calls = 0
    const client = {
      write: async (): Promise<WriteResponse> => {
        if (calls++ === 0) throw new InfluxTimeoutError('influx write timed out after 10000 ms')
        return ok
      },
      ping: async () => {
        pings.push(1)
        return true
      }
    }
    const s = instantSleepKit()
    const w = createWriter({ client, log: captureLog().log, sleep: s.sleep, random: () => 0.5 })
    await expect(w.write(lines(1))).resolves.toEqual({ rejected: [] })
    expect(pings).toHaveLength(0)
    expect(s.waits).toEqual([50])
  })

  it('an HTTP error is an answer: no ping, the batch itself is retried with the full backoff', async () => {
    const pings: number[] = []
    const answers: WriteResponse[] = [{ status: 503, body: '' }, { status: 503, body: '' }, ok]
    const client = {
      ...scriptedClient((_l, i) => answers[i]!),
      ping: async () => {
        pings.push(1)
        return true
      }
    }
    const s = instantSleepKit()
    const w = createWriter({ client, log: captureLog().log, sleep: s.sleep, random: () => 0.5, retry: { probeMs: 1 } })
    await expect(w.write(lines(1))).resolves.toEqual({ rejected: [] })
    expect(pings).toHaveLength(0)
    expect(s.waits).toEqual([50, 100])
  })
})
