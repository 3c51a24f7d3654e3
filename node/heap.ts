import v8 from 'node:v8'

// How the node's V8 heap grows. V8 lets the old generation grow to a multiple of what survived
// its last full collection (up to 4× on a machine with several GiB) before it collects again.
// The node's garbage is mostly short-lived per-message objects that outlive a young-generation
// collection while they wait for their fsync, so under load the heap climbs by hundreds of MB
// of dead objects between full collections, and the RSS with it (README "Running in
// production", Memory). A fixed growth keeps the limit proportional to the live heap instead:
// no cap, so a busy day's rebuild at start can still take what it needs (a cap such as
// --max-old-space-size would end the process there), at the price of more frequent full
// collections (marked concurrently, mostly off the main thread).

const FLAG = '--heap-growing-percent'

/**
 * Set V8's heap growing factor to 1 + percent/100, unless percent is 0 (V8's own) or the
 * process was started with the flag (command line or NODE_OPTIONS), which wins. Returns the
 * percent in effect, or undefined for V8's own. V8 reads the flag at each full collection.
 */
export function applyHeapGrowing(
  percent: number,
  given: readonly string[] = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)]
): number | 'given' | undefined {
  if (given.some((a) => a === FLAG || a.startsWith(`${FLAG}=`) || a.startsWith('--heap_growing_percent')))
    return 'given'
  if (percent === 0) return undefined
  v8.setFlagsFromString(`${FLAG}=${percent}`)
  return percent
}
