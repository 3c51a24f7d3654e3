import { z } from 'zod'
import { Envelope, Percent } from './common.ts'

/** Fill level can exceed 100 %: an overfilled bin with a lid propped open reads up to 150 %. */
export const Fill = z.strictObject({
  ...Envelope,
  fillPct: z.number().min(0).max(150),
  batteryPct: Percent.optional(),
  tempC: z.number().min(-40).max(125).optional()
})
export type Fill = z.infer<typeof Fill>
