import type { InfluxClient } from '../influx/client.ts'
import { rows } from '../influx/client.ts'
import { addDays, startOfLocalDay } from '../lib/time.ts'
import type { Ticket } from './siteTonnage.ts'

/**
 * Today's committed tickets from InfluxDB, the source of truth (design decision 3). A day
 * holds a few thousand tickets in a city like Wuxi, so the fold re-reads them one by one and
 * keeps exact per-ticket de-duplication across the rebuild/live overlap.
 */
export async function todaysTickets(influx: InfluxClient, day: string, tz: string): Promise<Ticket[]> {
  const start = startOfLocalDay(day, tz)
  const end = startOfLocalDay(addDays(day, 1), tz)
  const [result] = await influx.query(
    `SELECT "net_kg", "ticket_id" FROM "weighing" WHERE time >= ${start}ms AND time < ${end}ms GROUP BY "site", "direction", "device"`,
    { epoch: 'ms' }
  )
  return rows(result).map((r) => ({
    deviceId: String(r.device),
    siteId: String(r.site),
    direction: r.direction === 'out' ? 'out' : 'in',
    ticketId: String(r.ticket_id),
    ts: Number(r.time),
    netKg: Number(r.net_kg)
  }))
}
