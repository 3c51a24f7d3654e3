import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import type { MqttLimits } from '../lib/config.ts'
import type { Admission } from './admission.ts'
import { guardConnection, type GuardCut } from './frameGuard.ts'

// Every MQTT connection (TCP, TLS or WebSocket) enters here before aedes sees it: the
// per-address bound, the frame/outgoing guard, and the idle limit for keepalive-0 clients.

export interface ConnectionCounters {
  oversizeDisconnects: number
  slowClientDisconnects: number
  inflightDisconnects: number
  idleDisconnects: number
}

export interface Connection {
  readonly stream: Duplex
  readonly address: string
  /**
   * Close the connection after `ms` without an inbound byte. For clients that asked for no
   * keepalive (0): MQTT then has no idle limit [MQTT-3.1.2-10], so a local one applies.
   */
  setIdleLimit(ms: number): void
}

const CUT_LOG: Record<GuardCut['reason'], string> = {
  oversize: 'packet too large; connection closed',
  slow: 'client does not read what it is sent; connection closed',
  inflight: 'client does not acknowledge its deliveries; connection closed'
}

export function createConnections(deps: {
  limits: MqttLimits
  maxPacketBytes: number
  admission: Admission
  log: Logger
  counters: ConnectionCounters
}) {
  const { limits, admission, log, counters } = deps
  return {
    /** Wrap a new connection, or undefined when it was refused (and destroyed). */
    accept(conn: Duplex, address: string): Connection | undefined {
      if (!admission.openConnection(address)) {
        conn.destroy()
        return undefined
      }
      let idle: NodeJS.Timeout | undefined
      let idleCut = false
      const stream = guardConnection(conn, {
        maxPacketBytes: deps.maxPacketBytes,
        maxOutgoingBytes: limits.maxOutgoingBytes,
        maxInflightDeliveries: limits.maxInflight,
        onInbound: () => idle?.refresh(),
        onCut: (why) => {
          if (why.reason === 'oversize') counters.oversizeDisconnects++
          else if (why.reason === 'slow') counters.slowClientDisconnects++
          else counters.inflightDisconnects++
          const clientId = (stream as Duplex & { client?: { id?: string } }).client?.id ?? undefined
          log.warn(
            {
              ...why,
              clientId,
              address,
              limits: { packet: deps.maxPacketBytes, outgoing: limits.maxOutgoingBytes, inflight: limits.maxInflight }
            },
            CUT_LOG[why.reason]
          )
        }
      })
      let closed = false
      stream.once('close', () => {
        if (closed) return
        closed = true
        if (idle) clearTimeout(idle)
        admission.closeConnection(address)
      })
      return {
        stream,
        address,
        setIdleLimit(ms) {
          if (idle || closed) return
          idle = setTimeout(() => {
            if (idleCut) return
            idleCut = true
            counters.idleDisconnects++
            log.info({ address, idleMs: ms }, 'keepalive-0 connection idle; closed')
            stream.destroy()
          }, ms)
          idle.unref()
        }
      }
    }
  }
}
