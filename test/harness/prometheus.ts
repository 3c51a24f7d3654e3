// A small parser of Prometheus' text exposition format (version 0.0.4), enough for the tests to
// read a real scrape of /metrics: samples with their labels, and each family's TYPE.

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export interface Scrape {
  readonly samples: readonly Sample[]
  /** Family name → its `# TYPE` (counter, gauge, histogram, summary, untyped). */
  readonly types: ReadonlyMap<string, string>
  /** The value of the one sample with this name and these labels (all of them); undefined if none. */
  value(name: string, labels?: Record<string, string>): number | undefined
  /** Every sample of this name. */
  all(name: string): Sample[]
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/g

// Go's ParseFloat, which Prometheus uses, takes Inf and NaN in any case (prom-client writes "Nan").
function parseValue(v: string): number {
  const lower = v.toLowerCase()
  if (lower === '+inf' || lower === 'inf') return Infinity
  if (lower === '-inf') return -Infinity
  if (lower === 'nan') return NaN
  const n = Number(v)
  if (Number.isNaN(n)) throw new Error(`not a sample value: ${v}`)
  return n
}

function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {}
  if (!text) return labels
  let consumed = 0
  for (const m of text.matchAll(LABEL)) {
    if (m.index !== consumed) throw new Error(`malformed labels: {${text}}`)
    labels[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\')
    consumed = m.index + m[0].length
  }
  if (consumed !== text.length) throw new Error(`malformed labels: {${text}}`)
  return labels
}

export function parsePrometheus(text: string): Scrape {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '') continue
    if (line.startsWith('#')) {
      const t = /^# TYPE (\S+) (\S+)$/.exec(line)
      if (t) types.set(t[1]!, t[2]!)
      continue
    }
    const m = SAMPLE.exec(line)
    if (!m) throw new Error(`not a sample line: ${line}`)
    samples.push({ name: m[1]!, labels: parseLabels(m[2]), value: parseValue(m[3]!) })
  }
  const same = (a: Readonly<Record<string, string>>, b: Record<string, string>): boolean =>
    Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v)
  return {
    samples,
    types,
    value: (name, labels = {}) => samples.find((s) => s.name === name && same(s.labels, labels))?.value,
    all: (name) => samples.filter((s) => s.name === name)
  }
}

/** The metric family a sample belongs to (a histogram's _bucket/_sum/_count are its family's). */
export function familyOf(sampleName: string, types: ReadonlyMap<string, string>): string {
  if (types.has(sampleName)) return sampleName
  const base = sampleName.replace(/_(bucket|sum|count|total|created)$/, '')
  return types.has(base) ? base : sampleName
}
