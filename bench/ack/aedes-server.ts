// Bare Aedes for bench:ack: the project's aedes version, no auth, no ingest, aedes.handle on a
// net server on a free loopback port (the port is printed as one JSON line on stdout). Exits
// when stdin closes, so it never outlives the benchmark that started it.
import { createServer } from 'node:net'
import { Aedes } from 'aedes'

const aedes = await Aedes.createBroker()
const server = createServer((socket) => aedes.handle(socket))
await new Promise<void>((resolve, reject) => {
  server.once('error', reject)
  server.listen(0, '127.0.0.1', () => resolve())
})
const address = server.address()
process.stdout.write(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }) + '\n')

const stop = (): void => {
  server.close()
  aedes.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 2000).unref()
}
process.stdin.on('end', stop)
process.stdin.resume()
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
