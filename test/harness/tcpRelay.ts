// A TCP relay on 127.0.0.1 in front of a real server (redis-server): the one test double the
// conventions allow, at the boundary, to produce on cue what the real link cannot — a client's
// bytes held on their way (sent by the client, not yet received by the server), and lost for
// good when that client dies.
import net from 'node:net'

export interface TcpRelay {
  readonly port: number
  /** Stop passing the clients' bytes on; they wait in the relay (or are lost with their client). */
  hold(): void
  /** Pass the held bytes on and everything after them. */
  release(): void
  /** Bytes received from clients and held right now. */
  heldBytes(): number
  /** Client connections open right now. */
  clients(): number
  close(): Promise<void>
}

export async function startTcpRelay(targetPort: number): Promise<TcpRelay> {
  let holding = false
  const links = new Set<{ down: net.Socket; up: net.Socket; held: Buffer[] }>()
  const server = net.createServer((down) => {
    const up = net.connect({ host: '127.0.0.1', port: targetPort })
    const link = { down, up, held: [] as Buffer[] }
    links.add(link)
    const end = (): void => {
      links.delete(link)
      link.held = [] // a dead client's held bytes never reach the server
      down.destroy()
      up.destroy()
    }
    down.on('data', (d: Buffer) => (holding ? link.held.push(d) : up.write(d)))
    up.on('data', (d: Buffer) => down.write(d))
    for (const s of [down, up]) {
      s.on('error', end)
      s.on('close', end)
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as net.AddressInfo).port,
    hold: () => void (holding = true),
    release() {
      holding = false
      for (const l of links) for (const d of l.held.splice(0)) l.up.write(d)
    },
    clients: () => links.size,
    heldBytes: () => [...links].reduce((n, l) => n + l.held.reduce((m, d) => m + d.length, 0), 0),
    close: () =>
      new Promise<void>((r) => {
        for (const l of links) {
          l.down.destroy()
          l.up.destroy()
        }
        server.close(() => r())
      })
  }
}
