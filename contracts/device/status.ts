import { z } from 'zod'
import { Envelope, Percent } from './common.ts'

export const Status = z.strictObject({
  ...Envelope,
  batteryPct: Percent.optional(),
  rssiDbm: z.number().min(-150).max(0).optional(),
  firmware: z.string().min(1).max(64).optional(),
  uptimeS: z.number().int().nonnegative().optional()
})
export type Status = z.infer<typeof Status>
