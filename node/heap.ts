import v8 from 'node:v8'
import { DEFAULT_SEMI_SPACE_MIB } from '../lib/config.ts'

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

// The young generation. A message's objects (packet, payload, facts, line, its spool frame and
// PUBACK) live until its group commit returns, tens of milliseconds under load. With V8's
// default semi-space of 16 MiB a scavenge comes every ~0.5 s at 10,000 msg/s and finds a
// large share of them still waiting: they are copied, then promoted, and die in the old
// generation, which then needs full collections. At 64 MiB most die young: `npm run
// bench:ack` measured 56–74 µs of node CPU per acked message against 108–121 with the default
// (three runs each; 32 MiB in between in later runs), for some 70–90 MiB more RSS under load
// (README "Running in production", Memory). V8 reads the size when the heap is set up, so it
// has to be a flag of the node process (`node --max-semi-space-size=64 bin/qingyun.mjs start`;
// npm start and the Docker image give it from QINGYUN_SEMI_SPACE_MIB); NODE_OPTIONS may carry
// it too. Started without it (npx qingyun start), or with another size than the variable
// says, the node says so in its log.

export const SEMI_SPACE_FLAG = '--max-semi-space-size'
/** The semi-space size (MiB) the node is started with unless QINGYUN_SEMI_SPACE_MIB says otherwise. */
export const SEMI_SPACE_MIB = DEFAULT_SEMI_SPACE_MIB
/** The node flags `qingyun start` is meant to be started with (launchers and test harnesses). */
export const NODE_START_FLAGS: readonly string[] = [`${SEMI_SPACE_FLAG}=${SEMI_SPACE_MIB}`]

/**
 * The semi-space size (MiB) the process was started with, from its flags or NODE_OPTIONS, or
 * undefined when V8 chose it.
 */
export function semiSpaceGiven(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env['NODE_OPTIONS'] ?? ''
): number | undefined {
  const args = [...execArgv, ...nodeOptions.split(/\s+/).filter((a) => a !== '')]
  let found: number | undefined
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!.replace(/_/g, '-')
    let value: string | undefined
    if (a.startsWith(`${SEMI_SPACE_FLAG}=`)) value = a.slice(SEMI_SPACE_FLAG.length + 1)
    else if (a === SEMI_SPACE_FLAG) value = args[i + 1]
    if (value !== undefined && Number.isFinite(Number(value))) found = Number(value)
  }
  return found
}
