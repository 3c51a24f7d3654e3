import { z } from 'zod'
import { Kind } from '../../contracts/device/index.ts'
import type { DeviceType } from '../../contracts/registry.ts'

export type Mix = Readonly<Record<Kind, number>>
export const DEFAULT_MIX = 'weighing=1,fill=5,position=20,status=1'

/** `weighing=1,fill=5,position=20,status=1` → weights (unnamed kinds weigh 0). */
export function parseMix(text: string): Mix {
  const out: Record<Kind, number> = { weighing: 0, fill: 0, position: 0, status: 0 }
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [k, v] = part.split('=')
    const kind = Kind.safeParse(k)
    const w = z.coerce.number().nonnegative().safeParse(v)
    if (!kind.success || !w.success)
      throw new Error(`--mix: "${part}" is not kind=weight with kind one of ${Kind.options.join(', ')}`)
    out[kind.data] = w.data
  }
  if (Object.values(out).every((w) => w === 0)) throw new Error('--mix: at least one weight must be positive')
  return out
}

export const TYPE_OF_KIND: Record<Exclude<Kind, 'status'>, DeviceType> = {
  weighing: 'weighbridge',
  fill: 'fill-sensor',
  position: 'gps-tracker'
}
export const PREFIX_OF_TYPE: Record<DeviceType, string> = {
  weighbridge: 'load-wb-',
  'fill-sensor': 'load-fill-',
  'gps-tracker': 'load-gps-'
}

export function typeOfLoadDevice(id: string): DeviceType | undefined {
  return (Object.entries(PREFIX_OF_TYPE) as [DeviceType, string][]).find(([, p]) => id.startsWith(p))?.[0]
}

/** How many devices of each type, in proportion to the mix (status goes with any); at least one of each used type. */
export function splitDevices(n: number, mix: Mix): Record<DeviceType, number> {
  const kinds = (['weighing', 'fill', 'position'] as const).filter((k) => mix[k] > 0)
  const use = kinds.length > 0 ? kinds : (['fill'] as const)
  const total = use.reduce((a, k) => a + (mix[k] || 1), 0)
  const out: Record<DeviceType, number> = { weighbridge: 0, 'fill-sensor': 0, 'gps-tracker': 0 }
  let left = n
  use.forEach((k, i) => {
    const c = i === use.length - 1 ? left : Math.max(1, Math.round((n * (mix[k] || 1)) / total))
    out[TYPE_OF_KIND[k]] = Math.min(left, c)
    left -= out[TYPE_OF_KIND[k]]
  })
  return out
}
