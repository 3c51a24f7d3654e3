import { describe, expect, it } from 'vitest'
import { AlertType, type Alert } from '../../contracts/ops.ts'
import { testRegistry } from '../../test/fixtures/registry.ts'
import { openAlert } from './lifecycle.ts'
import { pickLang } from './messages.ts'
import { createPresenter, localTime } from './present.ts'
import { SEVERITY, type Desired } from './rules.ts'

const T0 = Date.parse('2026-06-15T09:30:00+08:00')
const { registry } = testRegistry()
const zoned = {
  ...registry,
  zones: [
    {
      id: 'z-lx-qingmingqiao',
      name: '清名桥历史街区',
      polygon: [
        [120.3, 31.5],
        [120.4, 31.5],
        [120.4, 31.6]
      ],
      windows: []
    }
  ]
} as typeof registry
const present = createPresenter(zoned, 'Asia/Shanghai')

const SUBJECT: { readonly [T in AlertType]: [Desired['subject'], Desired['details']] } = {
  'site-will-not-clear': [
    { kind: 'site', id: 'ts-1' },
    { projectedStockT: 12.34, toleranceT: 1, stockT: 8 }
  ],
  'site-over-capacity': [
    { kind: 'site', id: 'ts-1' },
    { inT: 420, capacityTpd: 400, capacityPct: 105, projectedInT: 500 }
  ],
  'site-stock-after-cutoff': [
    { kind: 'site', id: 'ts-1' },
    { stockT: 5.25, toleranceT: 1, cutoff: '20:00' }
  ],
  'bin-overflow': [
    { kind: 'bin', id: 'bin-1' },
    { fillPct: 112, limitPct: 100 }
  ],
  'bin-near-full': [
    { kind: 'bin', id: 'bin-1' },
    { fillPct: 85, limitPct: 80 }
  ],
  'vehicle-zone-window': [
    { kind: 'vehicle', id: 'veh-1' },
    { zoneId: 'z-lx-qingmingqiao', lat: 31.55, lon: 120.31, lastFixAt: T0 }
  ],
  'vehicle-speeding': [
    { kind: 'vehicle', id: 'veh-1' },
    { zoneId: 'z-lx-qingmingqiao', speedKmh: 41.26, speedLimitKmh: 30, lat: 31.55, lon: 120.31, lastFixAt: T0 }
  ],
  'device-offline': [{ kind: 'device', id: 'fill-1' }, { lastSeenAt: T0 - 7_200_000 }],
  'device-low-battery': [
    { kind: 'device', id: 'gps-1' },
    { batteryPct: 9, limitPct: 20 }
  ],
  'rejection-spike': [
    { kind: 'device', id: 'wb-1' },
    { rejected: 30, accepted: 70, windowMs: 900_000 }
  ],
  'spool-full': [
    { kind: 'city', id: 'city' },
    { unforwardedBytes: 2 ** 30, maxBytes: 2 ** 30, forwardLagMs: 60_000 }
  ]
}

const alertOf = (type: AlertType): Alert => {
  const [subject, details] = SUBJECT[type]
  return openAlert({ type, severity: SEVERITY[type], subject, message: 'stored', details }, T0)
}

describe('alerts as read', () => {
  it.each(AlertType.options)('%s: a message in zh and in en, with names, without ids or UTC times', (type) => {
    for (const lang of ['zh', 'en'] as const) {
      const a = present(alertOf(type), lang)
      expect(a.lang).toBe(lang)
      expect(a.message).not.toBe('stored')
      expect(a.message).not.toContain(a.subject.id === 'city' ? '\u0000' : a.subject.id)
      expect(a.message).not.toContain('z-lx-')
      expect(a.message).not.toMatch(/\d{4}-\d\d-\d\dT|\dZ\b|\?/)
      if (lang === 'zh') expect(a.message).toMatch(/[\u4e00-\u9fff]/)
      expect(a.local?.openedAt).toBe('2026-06-15 09:30:00')
    }
  })

  it('names, district, place and the measured value with its limit', () => {
    expect(present(alertOf('vehicle-speeding'), 'zh')).toMatchObject({
      subject: { kind: 'vehicle', id: 'veh-1', name: '苏B12345（压缩车）' },
      district: '梁溪',
      location: { lon: 120.31, lat: 31.55 },
      value: 41.26,
      limit: 30,
      unit: 'km/h',
      message: '苏B12345（压缩车）超速：41.3 km/h，限速 30 km/h（清名桥历史街区），2026-06-15 09:30:00'
    })
    expect(present(alertOf('device-offline'), 'zh')).toMatchObject({
      subject: { name: '梁溪区厨余垃圾桶 1 号的满溢传感器' },
      district: '梁溪',
      location: { lon: 120.31, lat: 31.58 },
      message: '梁溪区厨余垃圾桶 1 号的满溢传感器离线：最后上报于 2026-06-15 07:30:00'
    })
    expect(present(alertOf('site-will-not-clear'), 'en').message).toBe(
      '梁溪区测试转运站 will not clear today: projected stock 12.3 t > tolerance 1 t'
    )
  })

  it('a grouped offline alert counts and names its members', () => {
    const grouped = openAlert(
      {
        type: 'device-offline',
        severity: 'warning',
        subject: { kind: 'district', id: '梁溪' },
        message: 'stored',
        details: { district: '梁溪', count: 17, lastSeenAt: T0 },
        members: [{ id: 'fill-1' }, { id: 'wb-1' }]
      },
      T0
    )
    const zh = present(grouped, 'zh')
    expect(zh.message).toBe('梁溪区 17 台设备离线（最晚一台最后上报于 2026-06-15 09:30:00）')
    expect(zh.members?.map((m) => m.name)).toEqual(['梁溪区厨余垃圾桶 1 号的满溢传感器', '梁溪区测试转运站的地磅'])
    expect(present(grouped, 'en').message).toBe(
      '17 devices offline in Liangxi District (the last one last reported at 2026-06-15 09:30:00)'
    )
  })

  it('an alert stored before limits were recorded reads without them', () => {
    const old = openAlert(
      {
        type: 'bin-near-full',
        severity: 'warning',
        subject: { kind: 'bin', id: 'bin-1' },
        message: 'm',
        details: { fillPct: 85 }
      },
      T0
    )
    expect(present(old, 'zh').message).toBe('梁溪区厨余垃圾桶 1 号即将满：满度 85%')
    expect(present(old, 'en').message).toBe('kitchen waste bin no. 1 in Liangxi District is nearly full: fill 85 %')
  })

  it('local time is the wall clock of QINGYUN_TZ', () => {
    expect(localTime(Date.UTC(2026, 11, 31, 16, 0, 5), 'Asia/Shanghai')).toBe('2027-01-01 00:00:05')
  })

  it('language: ?lang first, then Accept-Language by q, else zh', () => {
    expect(pickLang('en', 'zh-CN')).toBe('en')
    expect(pickLang(undefined, 'en-US,en;q=0.9')).toBe('en')
    expect(pickLang(undefined, 'fr, en;q=0.5, zh;q=0.8')).toBe('zh')
    expect(pickLang(undefined, 'fr')).toBe('zh')
    expect(pickLang(undefined, undefined)).toBe('zh')
    expect(pickLang(undefined, 'en;q=0')).toBe('zh')
  })
})
