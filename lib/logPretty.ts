// Human-readable log lines for a terminal: `09:41:07.123 INFO  [component] message key=value …`.
// pino still produces its JSON line; this stream only reformats it, in the process (no worker
// thread, no dependency). Used when stdout is a TTY; anything else gets the JSON lines.
import { EOL } from 'node:os'

const LEVELS: Record<number, [string, string]> = {
  10: ['TRACE', '\x1b[90m'],
  20: ['DEBUG', '\x1b[36m'],
  30: ['INFO ', '\x1b[32m'],
  40: ['WARN ', '\x1b[33m'],
  50: ['ERROR', '\x1b[31m'],
  60: ['FATAL', '\x1b[35m']
}
const RESET = '\x1b[0m'
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'component'])

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v
  if (v !== null && typeof v === 'object' && 'stack' in v && typeof v.stack === 'string') return `\n${v.stack}`
  return JSON.stringify(v) ?? String(v)
}

/** One pino JSON line → one readable line (the input as it is when it is not a pino line). */
export function prettyLine(json: string, color: boolean): string {
  let o: Record<string, unknown>
  try {
    o = JSON.parse(json) as Record<string, unknown>
  } catch {
    return json
  }
  const t = new Date(typeof o.time === 'number' ? o.time : Date.now())
  const hh = (n: number, w = 2): string => String(n).padStart(w, '0')
  const time = `${hh(t.getHours())}:${hh(t.getMinutes())}:${hh(t.getSeconds())}.${hh(t.getMilliseconds(), 3)}`
  const [name, tint] = LEVELS[Number(o.level)] ?? [String(o.level), '']
  const level = color ? `${tint}${name}${RESET}` : name
  const component = typeof o.component === 'string' ? ` [${o.component}]` : ''
  const fields = Object.entries(o)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${k}=${value(v)}`)
  return `${time} ${level}${component} ${String(o.msg ?? '')}${fields.length ? `  ${fields.join(' ')}` : ''}`
}

/** A pino destination that writes readable lines to `out` (a TTY). */
export function prettyStream(out: NodeJS.WritableStream & { isTTY?: boolean }): { write(line: string): void } {
  return {
    write(line) {
      out.write(prettyLine(line.trimEnd(), out.isTTY === true) + EOL)
    }
  }
}
