import type { Ticket } from '../city/types.ts'
import type { Generator } from './types.ts'

export interface WeighingSample {
  readonly ticket: Ticket
  readonly ticketId: string
}

export const weighing: Generator<'weighing', WeighingSample> = ({ ticket: t, ticketId }, { ts, seq }) => ({
  ts,
  seq,
  ticketId,
  direction: t.direction,
  stream: t.stream,
  ...(t.material ? { material: t.material } : {}),
  grossKg: t.grossKg,
  tareKg: t.tareKg,
  netKg: t.netKg,
  plate: t.plate
})
