// Alert messages in the reader's language (zh, the page's default, or en), written from an
// alert's structured facts when it is read — never from ids or UTC times. One template per alert
// type and language behind a table (docs/conventions.md, rule 3); pure.
import type { AlertType } from '../../contracts/ops.ts'

export type Lang = 'zh' | 'en'
export const LANGS: readonly Lang[] = ['zh', 'en']

/** What a message says: names, not ids; local times (QINGYUN_TZ), not UTC. */
export interface MessageFacts {
  readonly subjectName: string
  readonly details: Readonly<Record<string, string | number | boolean | null>>
  readonly value: number | null
  readonly limit: number | null
  /** A zone's name (vehicle alerts), when the subject was in one. */
  readonly zoneName: string | null
  /** Local `YYYY-MM-DD HH:mm:ss` of the moment the message is about (last seen, last fix). */
  readonly localTime: string | null
  /** The members' count of a grouped alert. */
  readonly count: number | null
}

/** At most one decimal, no trailing ".0". */
export const num = (x: number | null): string => (x === null ? '?' : String(Math.round(x * 10) / 10))
const n = (v: unknown): number | null => (typeof v === 'number' ? v : null)
const s = (v: unknown): string | null => (typeof v === 'string' ? v : null)

const DISTRICT_EN: Readonly<Record<string, string>> = {
  梁溪: 'Liangxi',
  锡山: 'Xishan',
  惠山: 'Huishan',
  滨湖: 'Binhu',
  新吴: 'Xinwu',
  江阴: 'Jiangyin',
  宜兴: 'Yixing',
  经开区: 'Jingkai'
}
/** 梁溪 → 梁溪区 / Liangxi District; the county-level cities are 市. */
export function districtLabel(district: string, lang: Lang): string {
  if (lang === 'en') {
    const en = DISTRICT_EN[district] ?? district
    return district === '江阴' || district === '宜兴' ? en : `${en} District`
  }
  if (district.endsWith('区') || district.endsWith('市')) return district
  return district === '江阴' || district === '宜兴' ? `${district}市` : `${district}区`
}

const LABELS: Readonly<Record<string, Readonly<Record<Lang, string>>>> = {
  compactor: { zh: '压缩车', en: 'compactor' },
  kitchen: { zh: '厨余垃圾', en: 'kitchen waste' },
  recyclable: { zh: '可回收物', en: 'recyclables' },
  hazardous: { zh: '有害垃圾', en: 'hazardous waste' },
  bulky: { zh: '大件垃圾', en: 'bulky waste' },
  transfer: { zh: '转运车', en: 'transfer truck' },
  residual: { zh: '其他垃圾', en: 'residual waste' },
  construction: { zh: '建筑垃圾', en: 'construction waste' },
  weighbridge: { zh: '地磅', en: 'weighbridge' },
  'fill-sensor': { zh: '满溢传感器', en: 'fill sensor' },
  'gps-tracker': { zh: '车载定位终端', en: 'GPS tracker' }
}
const VEHICLE_ZH: Readonly<Record<string, string>> = {
  kitchen: '餐厨车',
  recyclable: '可回收物车',
  hazardous: '有害垃圾车',
  bulky: '大件垃圾车'
}
/** A registry code (vehicle or device type, waste stream) in words; unknown codes as they are. */
export const label = (code: string, lang: Lang): string => LABELS[code]?.[lang] ?? code
export const vehicleTypeLabel = (type: string, lang: Lang): string =>
  lang === 'zh' ? (VEHICLE_ZH[type] ?? label(type, lang)) : `${label(type, lang)} truck`.replace('truck truck', 'truck')

type Template = (f: MessageFacts) => string
const T: { readonly [T in AlertType]: { readonly [L in Lang]: Template } } = {
  'site-will-not-clear': {
    zh: (f) => `${f.subjectName}今日清不完：预计截止时库存 ${num(f.value)} 吨，超过容差 ${num(f.limit)} 吨`,
    en: (f) => `${f.subjectName} will not clear today: projected stock ${num(f.value)} t > tolerance ${num(f.limit)} t`
  },
  'site-over-capacity': {
    zh: (f) =>
      n(f.details.capacityPct) !== null && n(f.details.capacityPct)! > 100
        ? `${f.subjectName}超出设计能力：今日进场 ${num(n(f.details.inT))} 吨，为设计能力 ${num(f.limit)} 吨/日的 ${num(n(f.details.capacityPct))}%`
        : `${f.subjectName}预计今日超出设计能力：预计进场 ${num(n(f.details.projectedInT))} 吨 > ${num(f.limit)} 吨/日`,
    en: (f) =>
      n(f.details.capacityPct) !== null && n(f.details.capacityPct)! > 100
        ? `${f.subjectName} is over capacity: ${num(n(f.details.inT))} t in today, ${num(n(f.details.capacityPct))} % of ${num(f.limit)} t/day`
        : `${f.subjectName} will exceed capacity today: projected ${num(n(f.details.projectedInT))} t in > ${num(f.limit)} t/day`
  },
  'site-stock-after-cutoff': {
    zh: (f) =>
      `${f.subjectName}已过 ${s(f.details.cutoff) ?? '?'} 截止时间仍有库存 ${num(f.value)} 吨（容差 ${num(f.limit)} 吨）`,
    en: (f) =>
      `${f.subjectName} still holds ${num(f.value)} t after its ${s(f.details.cutoff) ?? '?'} cut-off (tolerance ${num(f.limit)} t)`
  },
  'bin-overflow': {
    zh: (f) => `${f.subjectName}已满溢：满度 ${num(f.value)}%`,
    en: (f) => `${f.subjectName} is overflowing: fill ${num(f.value)} %`
  },
  'bin-near-full': {
    zh: (f) => `${f.subjectName}即将满：满度 ${num(f.value)}%${f.limit === null ? '' : `（≥ ${num(f.limit)}%）`}`,
    en: (f) =>
      `${f.subjectName} is nearly full: fill ${num(f.value)} %${f.limit === null ? '' : ` ≥ ${num(f.limit)} %`}`
  },
  'vehicle-zone-window': {
    zh: (f) => `${f.subjectName}在非允许时段进入${f.zoneName ?? '限行区域'}${f.localTime ? `（${f.localTime}）` : ''}`,
    en: (f) =>
      `${f.subjectName} is in ${f.zoneName ?? 'a restricted zone'} outside its allowed time window${f.localTime ? ` (${f.localTime})` : ''}`
  },
  'vehicle-speeding': {
    zh: (f) =>
      `${f.subjectName}超速：${num(f.value)} km/h${f.limit === null ? '' : `，限速 ${num(f.limit)} km/h`}${f.zoneName ? `（${f.zoneName}）` : ''}${f.localTime ? `，${f.localTime}` : ''}`,
    en: (f) =>
      `${f.subjectName} is speeding: ${num(f.value)} km/h${f.limit === null ? '' : `, limit ${num(f.limit)} km/h`}${f.zoneName ? ` in ${f.zoneName}` : ''}${f.localTime ? ` at ${f.localTime}` : ''}`
  },
  'device-offline': {
    zh: (f) =>
      f.count !== null
        ? `${f.subjectName} ${f.count} 台设备离线${f.localTime ? `（最晚一台最后上报于 ${f.localTime}）` : ''}`
        : `${f.subjectName}离线：最后上报于 ${f.localTime ?? '?'}`,
    en: (f) =>
      f.count !== null
        ? `${f.count} devices offline in ${f.subjectName}${f.localTime ? ` (the last one last reported at ${f.localTime})` : ''}`
        : `${f.subjectName} is offline: last reported at ${f.localTime ?? '?'}`
  },
  'device-low-battery': {
    zh: (f) => `${f.subjectName}电量低：${num(f.value)}%${f.limit === null ? '' : `（低于 ${num(f.limit)}%）`}`,
    en: (f) => `${f.subjectName} battery is low: ${num(f.value)} %${f.limit === null ? '' : ` < ${num(f.limit)} %`}`
  },
  'rejection-spike': {
    zh: (f) => {
      const { rejected, accepted, windowMs } = rejections(f)
      return `${f.subjectName}数据拒收激增：最近 ${num(windowMs / 60_000)} 分钟 ${rejected + accepted} 条中 ${rejected} 条被拒（${num(f.value)}%）`
    },
    en: (f) => {
      const { rejected, accepted, windowMs } = rejections(f)
      return `Rejection spike at ${f.subjectName}: ${rejected} of ${rejected + accepted} objects rejected (${num(f.value)} %) in the last ${num(windowMs / 60_000)} min`
    }
  },
  'spool-full': {
    zh: (f) =>
      `本节点缓存已满（${num((n(f.details.unforwardedBytes) ?? 0) / 2 ** 20)} MiB 未写入 InfluxDB）：设备需等待确认，直至 InfluxDB 接收积压数据`,
    en: (f) =>
      `The node's spool is full (${num((n(f.details.unforwardedBytes) ?? 0) / 2 ** 20)} MiB not yet in InfluxDB): devices wait for their acknowledgements until InfluxDB takes the backlog`
  }
}

function rejections(f: MessageFacts): { rejected: number; accepted: number; windowMs: number } {
  return {
    rejected: n(f.details.rejected) ?? 0,
    accepted: n(f.details.accepted) ?? 0,
    windowMs: n(f.details.windowMs) ?? 0
  }
}

export const renderMessage = (type: AlertType, lang: Lang, facts: MessageFacts): string => T[type][lang](facts)

/** `?lang=` when given, else the first of zh/en in Accept-Language by its q order, else zh. */
export function pickLang(query: Lang | undefined, acceptLanguage: string | undefined): Lang {
  if (query !== undefined) return query
  const ranked = (acceptLanguage ?? '')
    .slice(0, 512)
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';')
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined)
      return { tag, q: q === undefined ? 1 : Number(q), i }
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i)
  for (const { tag } of ranked) {
    const primary = tag.split('-')[0]
    if (primary === 'zh' || primary === 'en') return primary
  }
  return 'zh'
}
