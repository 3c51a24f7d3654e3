// Part "tcp" of bench/drain.ts: why one device replaying its mqtt.js store gets ~20 acks/s. mqtt.js
// resends its stored QoS 1 messages one at a time, the next only after the PUBACK of the last. A
// minimal acker (no broker, no InfluxDB) answers each PUBLISH after `delayMs`, writing the 4-byte
// PUBACK either in one write or, as aedes does through a stream wrapper without writev (the header,
// then the message id), in two — with and without TCP_NODELAY on the accepted socket. Two writes
// without TCP_NODELAY: Nagle holds the second segment until the first is acknowledged, and the
// client's delayed ACK (about 40 ms on Linux) waits for more data that never comes.
import net, { type AddressInfo } from 'node:net'
import mqtt from 'mqtt'
import mqttPacket from 'mqtt-packet'

export async function pubackSplit(o: {
  messages: number
  delayMs: number
  split: boolean
  noDelay: boolean
  timeoutMs: number
}) {
  const srv = net.createServer((s) => {
    if (o.noDelay) s.setNoDelay(true)
    const p = mqttPacket.parser()
    p.on('packet', (pk) => {
      if (pk.cmd === 'connect') s.write(mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }))
      if (pk.cmd !== 'publish') return
      setTimeout(() => {
        const b = mqttPacket.generate({ cmd: 'puback', messageId: pk.messageId })
        if (!o.split) s.write(b)
        else {
          s.write(b.subarray(0, 2))
          s.write(b.subarray(2))
        }
      }, o.delayMs)
    })
    s.on('data', (d) => p.parse(d))
    s.on('error', () => {})
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const c = mqtt.connect(`mqtt://127.0.0.1:${(srv.address() as AddressInfo).port}`, {
    manualConnect: true,
    reconnectPeriod: 0
  })
  let acks = 0
  for (let i = 0; i < o.messages; i++)
    c.publish('t', JSON.stringify({ ts: Date.now(), seq: i, fillPct: i % 100 }), { qos: 1 }, () => {
      acks++
    })
  const t0 = Date.now()
  c.connect()
  while (acks < o.messages && Date.now() - t0 < o.timeoutMs) await new Promise((r) => setTimeout(r, 10))
  const s = (Date.now() - t0) / 1000
  await c.endAsync(true)
  await new Promise((r) => srv.close(r))
  return {
    pubackWrites: o.split ? 2 : 1,
    noDelay: o.noDelay,
    ackDelayMs: o.delayMs,
    acked: acks,
    seconds: +s.toFixed(2),
    ackPerS: Math.round(acks / s)
  }
}
