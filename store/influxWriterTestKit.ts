// Scripted stand-ins for the writer's boundaries (the InfluxDB client, the clock's sleep, the log),
// shared by the writer's unit tests: they script answers a real InfluxDB cannot be made to give on cue.
import type { Log } from '../lib/log.ts'
import type { WriteResponse } from './influxWriter.ts'

interface Deferred<T> {
  promise: Promise<T>
  resolve: (v: T) => void
  reject: (e: unknown) => void
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

export const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

/** A client whose every write waits until the test answers it. */
export function manualClient() {
  const calls: { lines: string[]; answer: Deferred<WriteResponse> }[] = []
  return {
    calls,
    write: (body: string): Promise<WriteResponse> => {
      const answer = deferred<WriteResponse>()
      calls.push({ lines: body.split('\n'), answer })
      return answer.promise
    }
  }
}

/** A client answering from a function of the lines. */
export function scriptedClient(answer: (lines: string[], call: number) => WriteResponse | Error) {
  const calls: string[][] = []
  return {
    calls,
    write: async (body: string): Promise<WriteResponse> => {
      const lines = body.split('\n')
      calls.push(lines)
      const a = answer(lines, calls.length - 1)
      if (a instanceof Error) throw a
      return a
    }
  }
}

/** Records every wait and ends it at once. */
export function instantSleep() {
  const waits: number[] = []
  return {
    waits,
    sleep: async (ms: number) => {
      waits.push(ms)
    }
  }
}

/** Records every wait; the test ends them. */
export function manualSleep() {
  const waits: { ms: number; end: () => void }[] = []
  return {
    waits,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        waits.push({ ms, end: resolve })
      })
  }
}

export function captureLog() {
  const entries: { level: string; obj: Record<string, unknown>; msg: string }[] = []
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => {
    entries.push({ level, obj, msg })
  }
  const log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as unknown as Log
  return { entries, log }
}

export const ok: WriteResponse = { status: 204, body: '' }
export const lines = (n: number, prefix = 'm') => Array.from({ length: n }, (_, i) => `${prefix} v=${i}i ${i + 1}`)
