// Every visible string goes through t(); numbers and times through the locale's Intl formats.
// Chinese (zh-CN) is the default; English is selectable (remembered by session.ts). No DOM here:
// the dictionaries and formats are unit-tested under Node.
import { en } from './en.ts'
import { zh } from './zh.ts'

export const LOCALES = ['zh-CN', 'en'] as const
export type Locale = (typeof LOCALES)[number]

export const TABLES: Record<Locale, Record<string, string>> = { 'zh-CN': zh, en }

type Num = number | null | undefined
export type I18n = ReturnType<typeof createI18n>

/**
 * A translator for one locale. Unknown keys fall back to Chinese, then to the key itself (a
 * district or stream the table does not know shows as the registry spells it). `tz` is the
 * IANA zone the city's local times are shown in.
 */
export function createI18n(locale: Locale, tz: string) {
  const table = TABLES[locale] ?? zh
  const nf = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 })
  const nf0 = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 })
  const pf = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 })
  const tf = new Intl.DateTimeFormat(locale, { timeZone: tz, hour: '2-digit', minute: '2-digit', hour12: false })
  const dtf = new Intl.DateTimeFormat(locale, {
    timeZone: tz,
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false
  })
  const t = (key: string, params?: Record<string, unknown>): string => {
    const s = table[key] ?? zh[key] ?? (key.includes('.') ? key.slice(key.indexOf('.') + 1) : key)
    return params ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m)) : s
  }
  return {
    locale,
    tz,
    t,
    /** Tonnes and other quantities: at most one decimal. */
    num: (x: Num): string => (x === null || x === undefined || Number.isNaN(x) ? '–' : nf.format(x)),
    int: (x: Num): string => (x === null || x === undefined ? '–' : nf0.format(x)),
    /** A percentage given as 0–100 (the API's unit). */
    pct: (x: Num): string => (x === null || x === undefined ? '–' : pf.format(x / 100)),
    time: (ms: Num): string => (ms === null || ms === undefined ? '–' : tf.format(ms)),
    dateTime: (ms: Num): string => (ms === null || ms === undefined ? '–' : dtf.format(ms)),
    district: (d: string): string => t(`district.${d}`),
    stream: (s: string): string => t(`stream.${s}`)
  }
}
