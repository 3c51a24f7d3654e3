import type http from 'node:http'
import type net from 'node:net'
import type { AddressInfo } from 'node:net'

export function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    // close() waits for open connections; aedes.close() ends the MQTT ones.
    ;(server as http.Server).closeAllConnections?.()
  })
}
