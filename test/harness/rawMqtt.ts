import net from 'node:net'
import mqttPacket, { type Packet } from 'mqtt-packet'
import { onTestFinished } from 'vitest'

// A raw TCP MQTT client for the cases mqtt.js will not produce: a peer that stops reading,
// malformed or out-of-contract frames, floods of half-open sessions.

export interface RawClient {
  readonly socket: net.Socket
  /** Packets decoded so far (only while the socket is read). */
  readonly received: Packet[]
  send(packet: Record<string, unknown>): void
  sendBytes(bytes: Uint8Array): void
  /** The next decoded packet with this cmd (already received ones count). */
  next(cmd: string): Promise<Packet>
  /** Resolves when the socket is closed (by either side). */
  closed(): Promise<void>
  /** Stop reading: the broker's writes pile up in the kernel buffers, then in its own. */
  stall(): void
}

export async function rawConnect(port: number): Promise<RawClient> {
  const socket = net.connect({ port, host: '127.0.0.1' })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  socket.on('error', () => undefined)
  onTestFinished(() => {
    socket.destroy()
  })
  const parser = mqttPacket.parser({ protocolVersion: 4 })
  const received: Packet[] = []
  const waiters: Array<{ cmd: string; resolve: (p: Packet) => void }> = []
  parser.on('packet', (p: Packet) => {
    received.push(p)
    const i = waiters.findIndex((w) => w.cmd === p.cmd)
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(p)
  })
  parser.on('error', () => undefined)
  socket.on('data', (d) => parser.parse(d))
  const closedP = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  return {
    socket,
    received,
    send: (packet) => socket.write(mqttPacket.generate(packet as unknown as Packet)),
    sendBytes: (bytes) => socket.write(bytes),
    next: (cmd) => {
      const seen = received.find((p) => p.cmd === cmd)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve) => waiters.push({ cmd, resolve }))
    },
    closed: () => closedP,
    stall: () => {
      socket.removeAllListeners('data')
      socket.pause()
    }
  }
}

export const connectPacket = (
  username: string | undefined,
  password: string | undefined,
  extra: Record<string, unknown> = {}
): Record<string, unknown> => ({
  cmd: 'connect',
  protocolId: 'MQTT',
  protocolVersion: 4,
  clean: true,
  clientId: `raw-${Math.random().toString(36).slice(2, 10)}`,
  keepalive: 0,
  ...(username === undefined ? {} : { username }),
  ...(password === undefined ? {} : { password: Buffer.from(password) }),
  ...extra
})

/** Connect and wait for CONNACK; returns the client and the CONNACK return code. */
export async function rawSession(
  port: number,
  username: string | undefined,
  password: string | undefined,
  extra: Record<string, unknown> = {}
): Promise<{ client: RawClient; returnCode: number | undefined }> {
  const client = await rawConnect(port)
  client.send(connectPacket(username, password, extra))
  const ack = await Promise.race([client.next('connack'), client.closed().then(() => undefined)])
  return { client, returnCode: ack && 'returnCode' in ack ? ack.returnCode : undefined }
}
