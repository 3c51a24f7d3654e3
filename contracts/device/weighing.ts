import { z } from 'zod'
import { Plate } from '../plate.ts'
import { Envelope } from './common.ts'

export const Direction = z.enum(['in', 'out'])
export type Direction = z.infer<typeof Direction>

export const Stream = z.enum(['residual', 'kitchen', 'recyclable', 'hazardous', 'bulky', 'construction'])
export type Stream = z.infer<typeof Stream>

export const Material = z.enum([
  'steel',
  'copper',
  'aluminium',
  'lead',
  'zinc',
  'paper',
  'plastic',
  'rubber',
  'glass',
  'textile',
  'wood',
  'e-waste',
  'battery',
  'other'
])
export type Material = z.infer<typeof Material>

export { Plate } from '../plate.ts'

/** Weighbridge tickets cover trucks up to 49 t gross (GB 1589); 200 t leaves room for rail/barge scales. */
const Kg = z.number().nonnegative().max(200_000)

/** |net − (gross − tare)| may differ by rounding only. */
export const NET_TOLERANCE_KG = 1

export const Weighing = z
  .strictObject({
    ...Envelope,
    ticketId: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[\x21-\x7e]+$/, 'ticketId must be printable ASCII without spaces'),
    direction: Direction,
    stream: Stream,
    material: Material.optional(),
    grossKg: Kg,
    tareKg: Kg,
    netKg: Kg,
    plate: Plate
  })
  .superRefine((w, ctx) => {
    if (w.tareKg > w.grossKg) {
      ctx.addIssue({ code: 'custom', path: ['tareKg'], message: `tareKg ${w.tareKg} exceeds grossKg ${w.grossKg}` })
    }
    const expected = w.grossKg - w.tareKg
    if (Math.abs(w.netKg - expected) > NET_TOLERANCE_KG) {
      ctx.addIssue({
        code: 'custom',
        path: ['netKg'],
        message: `netKg ${w.netKg} must equal grossKg − tareKg = ${expected} (±${NET_TOLERANCE_KG} kg)`
      })
    }
    if (w.stream === 'recyclable' && w.material === undefined) {
      ctx.addIssue({ code: 'custom', path: ['material'], message: 'material is required when stream is recyclable' })
    }
    if (w.stream !== 'recyclable' && w.material !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['material'],
        message: `material is only for stream recyclable, not ${w.stream}`
      })
    }
  })
export type Weighing = z.infer<typeof Weighing>
