import v8 from 'node:v8'

// How the node's V8 heap grows. V8 lets the old generation grow to a multiple of what survived
// its last full collection (up to 4× on a machine with several GiB) before it collects again.
// The node's garbage is mostly per-message objects that outlive a young-generation collection
// while they wait for their fsync, so under load the heap climbs by hundreds of MB of dead
// objects between full collections, and the RSS with it (README "Running in production",
// Memory). A fixed growth keeps the limit proportional to the live heap instead: no cap, so a
// busy day's rebuild at start can still take what it needs (a cap such as
// --max-old-space-size would end the process there). The price is more full collections at a
// high message rate (CPU); the default (lib/config.ts) is the trade measured there.
//
// V8 applies the flag from the next full collection on. A growth that aims at a heap size
// (set after each full collection from the live heap) was tried and measured worse: the limit
// of the next collection is computed before the node hears of the last one, so a live heap
// that rises meanwhile (10,000 devices connecting) overshoots with the growth of before.

const FLAG = '--heap-growing-percent'

/**
 * Set V8's heap growing factor to 1 + percent/100, unless percent is 0 (V8's own) or the
 * process was started with the flag (`node --heap-growing-percent=N bin/qingyun.mjs start`;
 * NODE_OPTIONS may not carry it), which wins. Returns the percent in effect, 'given', or
 * undefined for V8's own. V8 reads the flag at each full collection.
 */
export function applyHeapGrowing(
  percent: number,
  given: readonly string[] = process.execArgv
): number | 'given' | undefined {
  if (given.some((a) => a === FLAG || a.startsWith(`${FLAG}=`) || a.startsWith('--heap_growing_percent')))
    return 'given'
  if (percent === 0) return undefined
  v8.setFlagsFromString(`${FLAG}=${percent}`)
  return percent
}
