// The broker node's memory while `sim load` drives it: the load generator runs beside the node,
// so it can read the node's resident set either from /proc/PID/status (same machine, --node-pid)
// or from the node's /readyz details (`process.rssBytes`, any machine that can reach the API).
import { readFile } from 'node:fs/promises'

export interface NodeMemorySample {
  readonly rssBytes: number
  /** The kernel's high-water mark of the resident set (VmHWM); only from /proc. */
  readonly hwmBytes?: number
  readonly heapUsedBytes?: number
}

export interface NodeMemorySource {
  readonly describe: string
  read(): Promise<NodeMemorySample | undefined>
}

export interface NodeMemoryReport {
  readonly source: string
  readonly samples: number
  /** The first sample, taken before the devices connect. */
  readonly startBytes: number
  /** The largest resident set seen (with /proc: the kernel's own high-water mark, so nothing between samples is missed). */
  readonly peakBytes: number
  readonly endBytes: number
  readonly peakHeapUsedBytes?: number
}

const KIB = 1024

/** VmRSS and VmHWM of a local process; undefined once it is gone. */
export function procSource(pid: number, read = (p: string) => readFile(p, 'utf8')): NodeMemorySource {
  return {
    describe: `/proc/${pid}/status`,
    async read() {
      let text: string
      try {
        text = await read(`/proc/${pid}/status`)
      } catch {
        return undefined
      }
      const kib = (field: string): number | undefined => {
        const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)
        return m ? Number(m[1]) * KIB : undefined
      }
      const rss = kib('VmRSS')
      if (rss === undefined) return undefined
      const hwm = kib('VmHWM')
      return { rssBytes: rss, ...(hwm === undefined ? {} : { hwmBytes: hwm }) }
    }
  }
}

/** `details.process` of the node's /readyz (200 or 503 both carry it); each read times out after 2 s. */
export function readyzSource(apiUrl: string, fetchImpl: typeof fetch = fetch): NodeMemorySource {
  const url = new URL('/readyz', apiUrl).toString()
  return {
    describe: url,
    async read() {
      try {
        const res = await fetchImpl(url, { signal: AbortSignal.timeout(2000) })
        const body = (await res.json()) as { details?: { process?: { rssBytes?: unknown; heapUsedBytes?: unknown } } }
        const p = body.details?.process
        if (typeof p?.rssBytes !== 'number') return undefined
        return {
          rssBytes: p.rssBytes,
          ...(typeof p.heapUsedBytes === 'number' ? { heapUsedBytes: p.heapUsedBytes } : {})
        }
      } catch {
        return undefined
      }
    }
  }
}

/**
 * Sample every `intervalMs` until stopped; at most one read in flight. The report is undefined
 * when no read ever succeeded (wrong pid, a node without `process` in /readyz).
 */
export function sampleNodeMemory(
  source: NodeMemorySource,
  intervalMs = 500
): { stop(): Promise<NodeMemoryReport | undefined> } {
  let samples = 0
  let start = 0
  let peak = 0
  let end = 0
  let peakHeap: number | undefined
  const take = async (): Promise<void> => {
    const s = await source.read()
    if (!s) return
    if (samples === 0) start = s.rssBytes
    samples++
    end = s.rssBytes
    peak = Math.max(peak, s.rssBytes, s.hwmBytes ?? 0)
    if (s.heapUsedBytes !== undefined) peakHeap = Math.max(peakHeap ?? 0, s.heapUsedBytes)
  }
  let pending = take()
  const timer = setInterval(() => {
    pending = pending.then(take)
  }, intervalMs)
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      await pending
      await take()
      if (samples === 0) return undefined
      return {
        source: source.describe,
        samples,
        startBytes: start,
        peakBytes: peak,
        endBytes: end,
        ...(peakHeap === undefined ? {} : { peakHeapUsedBytes: peakHeap })
      }
    }
  }
}

export const mib = (bytes: number): string => `${Math.round(bytes / (KIB * KIB))} MiB`
