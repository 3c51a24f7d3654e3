import { z } from 'zod'
import { Envelope } from './common.ts'

/** WGS-84, as GNSS receivers report it; conversion to GCJ-02 happens only for display layers. */
export const Position = z.strictObject({
  ...Envelope,
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  speedKmh: z.number().min(0).max(300),
  headingDeg: z.number().min(0).max(360).optional(),
  ignition: z.boolean().optional()
})
export type Position = z.infer<typeof Position>
